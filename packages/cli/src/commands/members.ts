import type { InviteReply, Member } from "@latchkey/sdk";
import type { Command } from "commander";
import type { Column } from "../output.js";
import { confirm } from "../prompt.js";
import type { Runtime, RuntimeOf } from "../runtime.js";

const COLUMNS: Column<Member>[] = [
  ["USER ID", (m) => m.userId],
  ["EMAIL", (m) => m.email],
  ["NAME", (m) => m.name],
  ["ROLES", (m) => m.roles.join(", ")],
  ["JOINED", (m) => m.joinedAt],
];

const collect = (value: string, previous: string[]) => [...previous, ...value.split(",").filter(Boolean)];
const needs = (action: "read" | "manage") => `\nNeeds permission: team.members.${action} (team) or org.members.${action} (organisation).`;

/** `members list|invite|remove`. */
export function memberCommands(program: Command, runtimeOf: RuntimeOf): void {
  const members = program.command("members").description("Members of a team (--team) or organisation (--org)");
  const path = async (rt: Runtime, id?: string) => `${await rt.base()}/members${id ? `/${encodeURIComponent(id)}` : ""}`;

  members
    .command("list")
    .description("List members and their roles")
    .addHelpText("after", needs("read"))
    .action(async (_opts: unknown, command: Command) => {
      const rt = runtimeOf(command);
      rt.print(await rt.client().all<Member>(await path(rt), "members", {}, Infinity), COLUMNS);
    });

  members
    .command("invite <email>")
    .description("Invite someone by e-mail with roles: prints a single-use link they accept to join")
    .requiredOption("--role <roleIds>", "a role to give (repeat, or separate with commas)", collect, [])
    .addHelpText("after", `${needs("manage")}\nYou can only give roles that grant no more than you hold.`)
    .action(async (email: string, opts: { role: string[] }, command: Command) => {
      const rt = runtimeOf(command);
      const reply = await rt.client().post<InviteReply>(await path(rt), { email, roles: opts.role });
      if (rt.format !== "table") return rt.print(reply);
      rt.io.out(
        `Invited ${email}. Send them this link (valid once, until ${reply.invitation.expiresAt}); ` +
          `someone who already has an account accepts it with their password:\n${reply.invitation.inviteUrl}\n`,
      );
    });

  members
    .command("remove <userId>")
    .description("Remove a member")
    .addHelpText("after", needs("manage"))
    .action(async (userId: string, _opts: unknown, command: Command) => {
      const rt = runtimeOf(command);
      await confirm(`Remove member ${userId}?`, rt.yes);
      rt.print(await rt.client().delete<Record<string, unknown>>(await path(rt, userId)));
    });
}
