import { can, covers, DomainError, type Grant } from "@latchkey/core";
import type { Config } from "../config.js";
import type { PageRequest } from "../store/pagination.js";
import type { InvitationRow } from "../store/repositories/invitations.js";
import type { Repositories, Store } from "../store/store.js";
import { grantsOfUser, assertCovers, type Entity } from "../access/access.js";
import type { Recorder } from "../audit/service.js";
import type { Mailer } from "./mailer.js";
import { grantOf, type Principal } from "../access/principal.js";
import { newId, randomSecret, sha256 } from "../lib/secrets.js";

const INVITE_TTL_MS = 7 * 24 * 3_600_000;
/** The link to the address is sent again (on a refused acceptance) at most this often. */
const RESEND_AFTER_MS = 10 * 60_000;

/** Throws unless every role exists and the principal may hand each one out (no escalation). */
export async function assertAssignable(tx: Repositories, principal: Principal, entity: Entity, roleIds: string[]): Promise<void> {
  for (const roleId of new Set(roleIds)) {
    const role = await tx.roles.byId(entity.type, entity.id, roleId);
    if (!role)
      throw new DomainError("VALIDATION_FAILED", `role ${roleId} does not exist here`, { fields: { roles: `unknown role ${roleId}` } });
    assertCovers(principal, grantOf(role, entity.orgId), `role ${roleId}`);
  }
}

/** The team or organisation of an invitation with its organisation and display name; null once it is gone. */
export async function entityOf(tx: Repositories, row: InvitationRow): Promise<{ orgId: string | null; name: string } | null> {
  if (row.entity_type === "team") {
    const team = await tx.teams.byId(row.entity_id);
    return team ? { orgId: team.org_id, name: team.name } : null;
  }
  const org = await tx.orgs.byId(row.entity_id);
  return org ? { orgId: org.id, name: org.name } : null;
}

/**
 * Whether the person who sent an invitation could send it now: still allowed to manage the members there, and still
 * holding everything its roles grant. An invitation carries its inviter's power only while the inviter has it.
 */
export async function inviterStillCan(tx: Repositories, row: InvitationRow, inviterGrants?: Grant[]): Promise<boolean> {
  const entity = await entityOf(tx, row);
  if (!entity) return false;
  const grants = inviterGrants ?? (await grantsOfUser(tx, row.invited_by));
  const resource = row.entity_type === "team" ? { teamId: row.entity_id, orgId: entity.orgId } : { orgId: row.entity_id };
  if (!can(grants, `${row.entity_type}.members.manage`, resource)) return false;
  const roles = await tx.roles.byIds(row.entity_type, row.entity_id, JSON.parse(row.roles) as string[]);
  return roles.every((role) => covers(grants, grantOf(role, entity.orgId)));
}

/** The message that carries the link proving the address: the only way to create an account for it. */
async function sendConfirmation(
  deps: { store: Store; config: Config; mailer: Mailer; now: () => Date },
  row: InvitationRow,
): Promise<"sent" | "logged" | "failed"> {
  const secret = randomSecret(32);
  await deps.store.invitations.setConfirm(row.id, sha256(secret), deps.now().toISOString());
  const entity = await entityOf(deps.store, row);
  const inviter = await deps.store.users.byId(row.invited_by);
  const where = `the ${row.entity_type === "team" ? "team" : "organisation"} ${entity?.name ?? row.entity_id}`;
  try {
    await deps.mailer.send({
      to: row.email,
      subject: `Join ${where} on Latchkey`,
      text: [
        `${inviter?.email ?? "Someone"} invited ${row.email} to ${where} on Latchkey (${deps.config.publicUrl}),`,
        `with the roles: ${(JSON.parse(row.roles) as string[]).join(", ")}.`,
        "",
        `To accept, open this link before ${row.expires_at}. It proves that this address is yours:`,
        `${deps.config.publicUrl}/invite?confirm=${secret}`,
        "",
        "If you did not expect this, ignore this message: nothing happens unless the link is opened.",
      ].join("\n"),
    });
    return deps.mailer.delivery === "smtp" ? "sent" : "logged";
  } catch {
    return "failed";
  }
}

/** The managing side of invitations: sending, listing and revoking them, and ending those nobody may stand behind. */
export function createInvitationService(deps: { store: Store; config: Config; now: () => Date; record: Recorder; mailer: Mailer }) {
  const { store, config, now, record } = deps;
  const shape = (row: InvitationRow) => ({
    id: row.id,
    email: row.email,
    roles: JSON.parse(row.roles) as string[],
    invitedBy: row.invited_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  });
  const isPending = (row: InvitationRow) =>
    row.accepted_at === null && row.revoked_at === null && Date.parse(row.expires_at) > now().getTime();
  /** The reply that carries the inviter's link: the only time it is shown. */
  const replyOf = (row: InvitationRow, secret: string, mail: "sent" | "logged" | "failed") => ({
    invitation: { id: row.id, email: row.email, inviteUrl: `${config.publicUrl}/invite?token=${secret}`, expiresAt: row.expires_at, mail },
  });
  /** Ends invitations as part of another change, each one in its entity's audit feed. */
  const revokeRows = async (tx: Repositories, principal: Principal | null, rows: InvitationRow[], reason: string) => {
    for (const row of rows) {
      if ((await tx.invitations.revoke([row.id], now().toISOString())) === 0) continue;
      await record(tx, {
        principal,
        entity: { type: row.entity_type, id: row.entity_id },
        event: "invitations.revoke",
        resource: { type: "invitations", id: row.id },
        change: { before: { email: row.email, roles: JSON.parse(row.roles) as string[] }, after: { reason } },
      });
    }
  };

  return {
    /**
     * Invites by e-mail: the same reply whether or not the address has an account, so that inviting is no way to learn
     * who has one. The address is sent its own link; nobody is added without accepting.
     */
    async invite(principal: Principal, entity: Entity, input: { email: string; roles: string[] }) {
      const at = now();
      const { row, secret } = await store.transaction(async (tx) => {
        await assertAssignable(tx, principal, entity, input.roles);
        const user = await tx.users.byEmail(input.email);
        // The inviter can list the members anyway: saying that one already is reveals nothing more.
        if (user && (await tx.members.get(entity.type, entity.id, user.id)))
          throw new DomainError("CONFLICT", `${input.email} is already a member`);
        const secret = randomSecret(32);
        const row: InvitationRow = {
          id: newId("inv"),
          token_hash: sha256(secret),
          email: input.email,
          entity_type: entity.type,
          entity_id: entity.id,
          roles: JSON.stringify([...new Set(input.roles)]),
          invited_by: principal.userId,
          created_at: at.toISOString(),
          expires_at: new Date(at.getTime() + INVITE_TTL_MS).toISOString(),
          accepted_at: null,
          revoked_at: null,
          confirm_hash: null,
          confirm_sent_at: null,
        };
        await tx.invitations.insert(row);
        // The invitation's secret links are not recorded: only who was invited, with which roles.
        await record(tx, {
          principal,
          entity,
          event: "members.invite",
          resource: { type: "invitations", id: row.id },
          change: { after: { email: row.email, roles: input.roles } },
        });
        return { row, secret };
      });
      // After the commit: a message never announces an invitation that does not exist.
      return replyOf(row, secret, await sendConfirmation(deps, row));
    },

    /**
     * New links for a pending invitation whose inviter lost theirs. Links are kept only as hashes, so an old one cannot
     * be shown again: both old links stop working, the address is sent its new one, and the invitation runs its full
     * time again from now. Allowed to whoever could revoke it.
     */
    async renew(principal: Principal, entity: Entity, invitationId: string) {
      const at = now();
      const { row, secret } = await store.transaction(async (tx) => {
        const found = await tx.invitations.byId(entity.type, entity.id, invitationId);
        if (!found || !isPending(found)) throw new DomainError("NOT_FOUND", `invitation ${invitationId} not found (or no longer pending)`);
        await assertAssignable(tx, principal, entity, JSON.parse(found.roles) as string[]);
        const secret = randomSecret(32);
        const row = { ...found, token_hash: sha256(secret), expires_at: new Date(at.getTime() + INVITE_TTL_MS).toISOString() };
        if (!(await tx.invitations.renew(row.id, row.token_hash, row.expires_at))) {
          throw new DomainError("NOT_FOUND", `invitation ${invitationId} not found (or no longer pending)`);
        }
        await record(tx, {
          principal,
          entity,
          event: "invitations.renew",
          resource: { type: "invitations", id: row.id },
          change: { before: { expiresAt: found.expires_at }, after: { email: row.email, expiresAt: row.expires_at } },
        });
        return { row, secret };
      });
      return replyOf(row, secret, await sendConfirmation(deps, row));
    },

    /** Pending invitations, newest first. */
    async list(principal: Principal, entity: Entity, page: PageRequest) {
      const p = await store.invitations.page(entity.type, entity.id, now().toISOString(), page);
      return { ...p, items: p.items.map(shape) };
    },

    /** Ends a pending invitation: by whoever could have sent it (members.manage, and every role it gives). */
    async revoke(principal: Principal, entity: Entity, invitationId: string) {
      return store.transaction(async (tx) => {
        const row = await tx.invitations.byId(entity.type, entity.id, invitationId);
        if (!row || !isPending(row)) throw new DomainError("NOT_FOUND", `invitation ${invitationId} not found (or no longer pending)`);
        await assertAssignable(tx, principal, entity, JSON.parse(row.roles) as string[]);
        await revokeRows(tx, principal, [row], "revoked");
        return { id: row.id, revoked: true as const };
      });
    },

    /**
     * After a member was removed or lost roles (in that change's transaction): invitations to them there end (a second
     * link must not bring them back), and so does every invitation they sent that they could no longer send.
     */
    async reconcile(tx: Repositories, principal: Principal, entity: Entity, userId: string, removed: boolean): Promise<void> {
      const at = now().toISOString();
      if (removed) {
        const user = await tx.users.byId(userId);
        if (user)
          await revokeRows(tx, principal, await tx.invitations.pendingFor(entity.type, entity.id, user.email, at), "member removed");
      }
      const sent = await tx.invitations.pendingSentBy(userId, at);
      const beyond: InvitationRow[] = [];
      // Every invitation here was sent by `userId`: their grants are read once, not once per invitation.
      const grants = sent.length > 0 ? await grantsOfUser(tx, userId) : [];
      for (const row of sent) if (!(await inviterStillCan(tx, row, grants))) beyond.push(row);
      await revokeRows(tx, principal, beyond, "the inviter can no longer give these roles");
    },

    /** Sends the address its link again, at most every ten minutes (a refused acceptance asks for it). */
    async resendConfirmation(row: InvitationRow): Promise<void> {
      const last = row.confirm_sent_at === null ? 0 : Date.parse(row.confirm_sent_at);
      if (now().getTime() - last < RESEND_AFTER_MS) return;
      await sendConfirmation(deps, row);
    },
  };
}

export type InvitationService = ReturnType<typeof createInvitationService>;
