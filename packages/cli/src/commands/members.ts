import type { Invitation, InviteReply, Member } from "@latchkey/sdk";
import type { Command } from "commander";
import type { Column } from "../output.js";
import type { Runtime, RuntimeOf } from "../runtime.js";

const COLUMNS: Column<Member>[] = [
  ["USER ID", (m) => m.userId],
  ["EMAIL", (m) => m.email],
  ["NAME", (m) => m.name],
  ["ROLES", (m) => m.roles.join(", ")],
  ["JOINED", (m) => m.joinedAt],
];

/** What became of the message that carries the address's own link, the only link that can create an account. */
function mailNote(invitation: InviteReply["invitation"]): string {
  const to = invitation.email;
  if (invitation.mail === "sent") return `An e-mail with a link to join was sent to ${to}.`;
  if (invitation.mail === "logged")
    return `No e-mail server is configured: the link for ${to} is in the server's log; ask whoever runs Latchkey to pass it on.`;
  return `The e-mail to ${to} could not be sent (see the server's log); it is sent again when someone tries the link below.`;
}

const collect = (value: string, previous: string[]) => [...previous, ...value.split(",").filter(Boolean)];
const needs = (action: "read" | "manage") => `\nNeeds permission: team.members.${action} (team) or org.members.${action} (organisation).`;

/** `members list|invite|invitations|revoke-invitation|remove`. */
export function memberCommands(program: Command, runtimeOf: RuntimeOf): void {
  const members = program.command("members").description("Members of a team (--team) or organisation (--org)");
  const api = async (rt: Runtime) => {
    const entity = await rt.entity();
    return { entity, members: rt.client().members(entity) };
  };

  members
    .command("list")
    .description("List members and their roles")
    .addHelpText("after", needs("read"))
    .action(async (_opts: unknown, command: Command) => {
      const rt = runtimeOf(command);
      rt.print(await (await api(rt)).members.all(), COLUMNS);
    });

  members
    .command("invite <email>")
    .description("Invite someone by e-mail with roles: the address is sent its own link to join")
    .requiredOption("--role <roleIds>", "a role to give (repeat, or separate with commas)", collect, [])
    .addHelpText(
      "after",
      `${needs("manage")}\nYou can only give roles that grant no more than you hold.\n` +
        "The printed link only lets an address that already has an account join, with that account's password.",
    )
    .action(async (email: string, opts: { role: string[] }, command: Command) => {
      const rt = runtimeOf(command);
      const { invitation } = await (await api(rt)).members.invite(email, opts.role);
      if (rt.format !== "table") return rt.print({ invitation });
      rt.io.out(
        `Invited ${email}. ${mailNote(invitation)}\n` +
          `If ${email} already has an account here, this link also works, with that account's password ` +
          `(valid once, until ${invitation.expiresAt}):\n${invitation.inviteUrl}\n`,
      );
    });

  members
    .command("invitations")
    .description("List pending invitations, newest first (never their links)")
    .addHelpText("after", needs("read"))
    .action(async (_opts: unknown, command: Command) => {
      const rt = runtimeOf(command);
      const { members } = await api(rt);
      const pending = await members.invitations();
      if (rt.format !== "table") return rt.print(pending);
      // People read an address better than a user id; an inviter who has left shows by id.
      const emails = new Map(pending.length ? (await members.all()).map((m) => [m.userId, m.email]) : []);
      const columns: Column<Invitation>[] = [
        ["ID", (i) => i.id],
        ["EMAIL", (i) => i.email],
        ["ROLES", (i) => i.roles.join(", ")],
        ["INVITED BY", (i) => emails.get(i.invitedBy) ?? i.invitedBy],
        ["EXPIRES", (i) => i.expiresAt],
      ];
      rt.print(pending, columns);
    });

  members
    .command("revoke-invitation <invitationId>")
    .description("Revoke a pending invitation: both of its links stop working")
    .addHelpText("after", `${needs("manage")}\nYou can only revoke an invitation whose roles grant no more than you hold.`)
    .action(async (invitationId: string, _opts: unknown, command: Command) => {
      const rt = runtimeOf(command);
      const { entity, members } = await api(rt);
      await rt.confirmAs(`${entity.type}.members.manage`, `Revoke invitation ${invitationId}?`);
      rt.print(await members.revokeInvitation(invitationId));
    });

  members
    .command("remove <userId>")
    .description("Remove a member")
    .addHelpText("after", needs("manage"))
    .action(async (userId: string, _opts: unknown, command: Command) => {
      const rt = runtimeOf(command);
      const { entity, members } = await api(rt);
      await rt.confirmAs(`${entity.type}.members.manage`, `Remove member ${userId}?`);
      rt.print(await members.remove(userId));
    });
}
