import { DomainError, OWNER_ROLE } from "@latchkey/core";
import type { Config } from "../config.js";
import type { PageRequest } from "../store/pagination.js";
import type { Repositories, Store } from "../store/store.js";
import type { Recorder } from "./audit.js";
import { grantOf, authorize, type Principal } from "./principal.js";
import { assertCovers, roleOf } from "./roles.js";
import { entityFor, entityPermission, type Entity } from "./scope.js";
import { newId, randomSecret, sha256 } from "./secrets.js";

const INVITE_TTL_MS = 7 * 24 * 3_600_000;

/** Throws unless every role exists and the principal may hand each one out (no escalation). */
async function assertAssignable(tx: Repositories, principal: Principal, entity: Entity, roleIds: string[]): Promise<void> {
  for (const roleId of new Set(roleIds)) {
    const role = await tx.roles.byId(entity.type, entity.id, roleId);
    if (!role)
      throw new DomainError("VALIDATION_FAILED", `role ${roleId} does not exist here`, { fields: { roles: `unknown role ${roleId}` } });
    assertCovers(principal, grantOf(role, entity.orgId), `role ${roleId}`);
  }
}

/** Throws when `userId` is the last holder of the owner role and would stop holding it. */
async function assertNotLastOwner(tx: Repositories, entity: Entity, userId: string, keepsOwner: boolean): Promise<void> {
  if (keepsOwner) return;
  const member = await tx.members.get(entity.type, entity.id, userId);
  if (!member?.roles.includes(OWNER_ROLE)) return;
  if ((await tx.members.countHolders(entity.type, entity.id, OWNER_ROLE)) <= 1) {
    throw new DomainError("CONFLICT", `the last owner of ${entity.type} ${entity.id} cannot be removed or demoted`);
  }
}

async function memberOf(tx: Repositories, entity: Entity, userId: string) {
  const member = await tx.members.get(entity.type, entity.id, userId);
  if (!member) throw new DomainError("NOT_FOUND", `member ${userId} not found`);
  return member;
}

/** Members of teams and organisations, their roles, and invitations for people without an account yet. */
export function createMemberService(deps: { store: Store; config: Config; now: () => Date; record: Recorder }) {
  const { store, config, now, record } = deps;
  const manage = async (tx: Repositories, principal: Principal, type: Entity["type"], id: string) => {
    const entity = await entityFor(tx, principal, type, id);
    authorize(principal, entityPermission(entity, "members", "manage"), entity.resource);
    // Owner counts below must not race with another change to the same members.
    await tx.lockEntity(entity.type, entity.id);
    return entity;
  };

  return {
    async list(principal: Principal, type: Entity["type"], id: string, page: PageRequest, roleId?: string) {
      const entity = await entityFor(store, principal, type, id);
      authorize(principal, entityPermission(entity, "members", "read"), entity.resource);
      if (roleId !== undefined) await roleOf(store, entity, roleId);
      return store.members.page(entity.type, entity.id, page, roleId);
    },

    /**
     * Invites by e-mail: always a link to pass on, whether or not the address has an account. Nobody is added
     * without accepting (with their own password when they have an account), and the reply is the same either way,
     * so that inviting is no way to learn who has an account here.
     */
    async invite(principal: Principal, type: Entity["type"], id: string, input: { email: string; roles: string[] }) {
      const at = now();
      return store.transaction(async (tx) => {
        const entity = await manage(tx, principal, type, id);
        await assertAssignable(tx, principal, entity, input.roles);
        const user = await tx.users.byEmail(input.email);
        // The inviter can list the members anyway: saying that one already is reveals nothing more.
        if (user && (await tx.members.get(entity.type, entity.id, user.id)))
          throw new DomainError("CONFLICT", `${input.email} is already a member`);
        const secret = randomSecret(32);
        const invitation = {
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
        };
        await tx.invitations.insert(invitation);
        // The invitation's secret link is not recorded: only who was invited, with which roles.
        await record(
          tx,
          principal,
          entity,
          "members.invite",
          { type: "invitations", id: invitation.id },
          { after: { email: invitation.email, roles: input.roles } },
        );
        return {
          invitation: {
            id: invitation.id,
            email: invitation.email,
            inviteUrl: `${config.publicUrl}/invite?token=${secret}`,
            expiresAt: invitation.expires_at,
          },
        };
      });
    },

    /** Replaces a member's roles. */
    async setRoles(principal: Principal, type: Entity["type"], id: string, userId: string, roles: string[]) {
      return store.transaction(async (tx) => {
        const entity = await manage(tx, principal, type, id);
        const member = await memberOf(tx, entity, userId);
        // Nobody gives, or takes away, a role they could not hand out themselves.
        const touched = [...roles.filter((r) => !member.roles.includes(r)), ...member.roles.filter((r) => !roles.includes(r))];
        await assertAssignable(tx, principal, entity, touched);
        await assertNotLastOwner(tx, entity, userId, roles.includes(OWNER_ROLE));
        await tx.members.setRoles(entity.type, entity.id, userId, [...new Set(roles)]);
        const after = await memberOf(tx, entity, userId);
        await record(tx, principal, entity, "members.update", { type: "members", id: userId }, { before: member, after });
        return after;
      });
    },

    async remove(principal: Principal, type: Entity["type"], id: string, userId: string) {
      return store.transaction(async (tx) => {
        const entity = await manage(tx, principal, type, id);
        const member = await memberOf(tx, entity, userId);
        await assertAssignable(tx, principal, entity, member.roles);
        await assertNotLastOwner(tx, entity, userId, false);
        await tx.members.remove(entity.type, entity.id, userId);
        await record(tx, principal, entity, "members.remove", { type: "members", id: userId }, { before: member });
        return { userId, deleted: true as const };
      });
    },

    /** Gives an existing member one more role (`POST .../roles/{roleId}/members`). */
    async addRole(principal: Principal, type: Entity["type"], id: string, roleId: string, userId: string) {
      return store.transaction(async (tx) => {
        const entity = await manage(tx, principal, type, id);
        await roleOf(tx, entity, roleId);
        await memberOf(tx, entity, userId);
        await assertAssignable(tx, principal, entity, [roleId]);
        const before = await memberOf(tx, entity, userId);
        await tx.members.addRole(entity.type, entity.id, userId, roleId);
        const after = await memberOf(tx, entity, userId);
        await record(tx, principal, entity, "members.update", { type: "members", id: userId }, { before, after });
        return after;
      });
    },

    /** Takes one role from a member (`DELETE .../roles/{roleId}/members/{userId}`). */
    async removeRole(principal: Principal, type: Entity["type"], id: string, roleId: string, userId: string) {
      return store.transaction(async (tx) => {
        const entity = await manage(tx, principal, type, id);
        await roleOf(tx, entity, roleId);
        const member = await memberOf(tx, entity, userId);
        if (!member.roles.includes(roleId)) throw new DomainError("NOT_FOUND", `member ${userId} does not hold role ${roleId}`);
        await assertAssignable(tx, principal, entity, [roleId]);
        await assertNotLastOwner(tx, entity, userId, roleId !== OWNER_ROLE);
        await tx.members.removeRole(entity.type, entity.id, userId, roleId);
        const after = await memberOf(tx, entity, userId);
        await record(tx, principal, entity, "members.update", { type: "members", id: userId }, { before: member, after });
        return after;
      });
    },
  };
}

export type MemberService = ReturnType<typeof createMemberService>;
