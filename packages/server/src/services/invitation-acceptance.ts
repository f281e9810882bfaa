import { DomainError } from "@latchkey/core";
import type { InvitationRow } from "../store/repositories/invitations.js";
import type { UserRow } from "../store/repositories/users.js";
import type { Repositories, Store } from "../store/store.js";
import { createUser } from "./accounts.js";
import type { Recorder } from "../audit/service.js";
import type { RequestContext } from "../access/request-context.js";
import { entityOf, inviterStillCan, type InvitationService } from "./invitations.js";
import { sha256 } from "../lib/secrets.js";
import type { PasswordChecks } from "../lib/passwords.js";
import type { Throttle } from "./throttle.js";
import { toUser, type User } from "./users.js";

const UNUSABLE = "this invitation is unknown, used, revoked or expired";

/**
 * The invitee's side. Two links reach an invitation: the one given to the inviter (`token`), which proves nothing
 * about the address, and the one sent to the address (`confirm`), which proves it. An account is created only
 * through the second: otherwise anyone could invite an address they do not own, accept, and be it from then on.
 */
export function createInvitationAcceptance(deps: {
  store: Store;
  now: () => Date;
  record: Recorder;
  throttle: Throttle;
  passwords: PasswordChecks;
  invitations: InvitationService;
}) {
  const { store, now, record, throttle, passwords, invitations } = deps;
  const pending = (row: InvitationRow | undefined): row is InvitationRow =>
    row !== undefined && row.accepted_at === null && row.revoked_at === null && Date.parse(row.expires_at) > now().getTime();

  /** Checks a password like a sign-in: counted first, throttled with sign-ins (a link is no password oracle). */
  const passwordMatches = async (email: string, password: string, ip: string): Promise<UserRow | null> => {
    const attempt = throttle.begin([`account:${email}`, `ip:${ip}`]);
    const user = await store.users.byEmail(email);
    // The same work whether or not the address has an account: the time taken tells nothing either.
    const ok = await passwords.matches("invitation", password, user?.password_hash);
    if (!user || !ok) return null;
    throttle.succeeded(attempt);
    return user;
  };

  /** Joins `user` to the invitation's team or organisation, if the invitation still stands. */
  const join = async (
    tx: Repositories,
    found: InvitationRow,
    user: UserRow | ((tx: Repositories) => Promise<UserRow>),
    context: RequestContext,
  ) => {
    const row = await tx.invitations.byId(found.entity_type, found.entity_id, found.id);
    if (!pending(row)) throw new DomainError("NOT_FOUND", UNUSABLE);
    // The invitation carries its inviter's power only while they have it (removed, demoted, or the roles changed).
    if (!(await inviterStillCan(tx, row))) {
      await tx.invitations.revoke([row.id], now().toISOString());
      throw new DomainError("NOT_FOUND", `${UNUSABLE}: whoever sent it can no longer give these roles; ask for a new one`);
    }
    if (!(await tx.invitations.accept(row.id, now().toISOString()))) throw new DomainError("CONFLICT", "this invitation was just used");
    const member = typeof user === "function" ? await user(tx) : user;
    if (await tx.members.get(row.entity_type, row.entity_id, member.id)) {
      throw new DomainError("CONFLICT", `${row.email} is already a member`);
    }
    const roles = JSON.parse(row.roles) as string[];
    const live = (await tx.roles.byIds(row.entity_type, row.entity_id, roles)).map((r) => r.id);
    await tx.members.add(row.entity_type, row.entity_id, member.id, now().toISOString());
    await tx.members.setRoles(row.entity_type, row.entity_id, member.id, live);
    await tx.publish({ t: "user", id: member.id });
    // The joiner is signed in by this very request: their join is recorded with its address and origin (the console's).
    const joiner = { kind: "session" as const, userId: member.id, email: member.email, tokenId: null, grants: [], scope: null, context };
    const entity = { type: row.entity_type, id: row.entity_id };
    await record(tx, {
      principal: joiner,
      entity,
      event: "members.join",
      resource: { type: "members", id: member.id },
      change: { after: { email: member.email, roles: live } },
    });
    return toUser(member);
  };

  return {
    /**
     * What a live link leads to, for its landing page: where, for which address, who invited, which roles. Only the
     * holder of the link learns this, which is what the message to the address says anyway; any other is one 404.
     */
    async preview(input: { token?: string | undefined; confirm?: string | undefined }) {
      const row = input.confirm
        ? await store.invitations.byConfirmHash(sha256(input.confirm))
        : await store.invitations.byTokenHash(sha256(input.token ?? ""));
      const entity = pending(row) ? await entityOf(store, row) : null;
      if (!row || !entity) throw new DomainError("NOT_FOUND", UNUSABLE);
      const inviter = await store.users.byId(row.invited_by);
      const ids = JSON.parse(row.roles) as string[];
      const names = new Map((await store.roles.byIds(row.entity_type, row.entity_id, ids)).map((r) => [r.id, r.name]));
      return {
        email: row.email,
        entityType: row.entity_type,
        entityId: row.entity_id,
        entityName: entity.name,
        invitedBy: inviter ? { name: inviter.name, email: inviter.email } : null,
        // A role deleted since is not given on joining: it is not shown either.
        roles: ids.flatMap((id) => {
          const name = names.get(id);
          return name === undefined ? [] : [{ id, name }];
        }),
        expiresAt: row.expires_at,
      };
    },

    /**
     * With the inviter's link: joins the account the address already has, on its password. Anything else (no account,
     * a wrong password) gets one answer, CONFIRMATION_REQUIRED, and the address is sent its own link again: this
     * link never creates an account, nor tells whether one exists.
     */
    async accept(input: { token: string; password: string }, context: RequestContext): Promise<User> {
      const row = await store.invitations.byTokenHash(sha256(input.token));
      if (!pending(row)) throw new DomainError("NOT_FOUND", UNUSABLE);
      const user = await passwordMatches(row.email, input.password, context.ip);
      if (!user) {
        await invitations.resendConfirmation(row);
        throw new DomainError(
          "CONFIRMATION_REQUIRED",
          `confirm that ${row.email} is yours: open the link sent to that address. ` +
            "If it already has an account here, you can instead accept with that account's password.",
          { email: row.email },
        );
      }
      return store.transaction((tx) => join(tx, row, user, context));
    },

    /**
     * With the link sent to the address: a new account with this name and password, or, when the address has one,
     * that account on its password (the link proves the address, not the person at the keyboard).
     */
    async confirm(input: { token: string; name?: string | undefined; password: string }, context: RequestContext): Promise<User> {
      const row = await store.invitations.byConfirmHash(sha256(input.token));
      if (!pending(row)) throw new DomainError("NOT_FOUND", UNUSABLE);
      if (await store.users.byEmail(row.email)) {
        const user = await passwordMatches(row.email, input.password, context.ip);
        if (!user) {
          throw new DomainError("UNAUTHENTICATED", `${row.email} has an account here: give its password to accept`, {
            fields: { password: "is not this account's password" },
          });
        }
        return store.transaction((tx) => join(tx, row, user, context));
      }
      const name = input.name;
      if (name === undefined) {
        throw new DomainError("VALIDATION_FAILED", "a new account needs a name", { fields: { name: "is required for a new account" } });
      }
      return store.transaction((tx) => join(tx, row, (t) => createUser(t, now(), row.email, name, input.password), context));
    },
  };
}

export type InvitationAcceptance = ReturnType<typeof createInvitationAcceptance>;
