import { DomainError, OWNER_ROLE } from "@latchkey/core";
import type { PageRequest } from "../store/pagination.js";
import type { Repositories, Store } from "../store/store.js";
import type { Recorder } from "../audit/service.js";
import { assertAssignable, type InvitationService } from "./invitations.js";
import type { Principal } from "../access/principal.js";
import { roleOf } from "./roles.js";
import type { Entity } from "../access/access.js";

/** Throws when `userId` is the last holder of the owner role and would stop holding it. */
async function assertNotLastOwner(tx: Repositories, entity: Entity, userId: string, keepsOwner: boolean): Promise<void> {
  if (keepsOwner) return;
  const member = await tx.members.get(entity.type, entity.id, userId);
  if (!member?.roles.includes(OWNER_ROLE)) return;
  if ((await tx.members.countHolders(entity.type, entity.id, OWNER_ROLE)) <= 1) {
    throw new DomainError("CONFLICT", `the last owner of ${entity.type} ${entity.id} cannot be removed or demoted`);
  }
}

type Member = Awaited<ReturnType<typeof memberOf>>;

async function memberOf(tx: Repositories, entity: Entity, userId: string) {
  const member = await tx.members.get(entity.type, entity.id, userId);
  if (!member) throw new DomainError("NOT_FOUND", `member ${userId} not found`);
  return member;
}

/**
 * Members of teams and organisations and their roles. Whoever leaves or loses roles also stops standing behind the
 * invitations they sent (invitations.ts `reconcile`, in the same transaction).
 */
export function createMemberService(deps: {
  store: Store;
  record: Recorder;
  invitations: InvitationService;
  /** Run in the transaction that removes a member: flags the tokens they created there (orphaned-tokens.ts). */
  onMemberLeft?: (tx: Repositories, principal: Principal, entity: Entity, userId: string) => Promise<unknown>;
}) {
  const { store, record, invitations } = deps;
  // Owner counts below must not race with another change to the same members.
  const lock = (tx: Repositories, entity: Entity) => tx.lockEntity(entity.type, entity.id);
  /** The member after losing roles, recorded; they stop standing behind invitations they could no longer send. */
  const rolesChanged = async (tx: Repositories, principal: Principal, entity: Entity, userId: string, before: Member) => {
    // Sessions of this person hold their grants in memory (session-cache.ts): every process drops them.
    await tx.publish({ t: "user", id: userId });
    const after = await memberOf(tx, entity, userId);
    await record(tx, { principal, entity, event: "members.update", resource: { type: "members", id: userId }, change: { before, after } });
    await invitations.reconcile(tx, principal, entity, userId, false);
    return after;
  };

  return {
    async list(principal: Principal, entity: Entity, page: PageRequest, roleId?: string) {
      if (roleId !== undefined) await roleOf(store, entity, roleId);
      return store.members.page(entity.type, entity.id, page, roleId);
    },

    /** Replaces a member's roles. */
    async setRoles(principal: Principal, entity: Entity, userId: string, roles: string[]) {
      return store.transaction(async (tx) => {
        await lock(tx, entity);
        const member = await memberOf(tx, entity, userId);
        // Nobody gives, or takes away, a role they could not hand out themselves.
        const touched = [...roles.filter((r) => !member.roles.includes(r)), ...member.roles.filter((r) => !roles.includes(r))];
        await assertAssignable(tx, principal, entity, touched);
        await assertNotLastOwner(tx, entity, userId, roles.includes(OWNER_ROLE));
        await tx.members.setRoles(entity.type, entity.id, userId, [...new Set(roles)]);
        return rolesChanged(tx, principal, entity, userId, member);
      });
    },

    async remove(principal: Principal, entity: Entity, userId: string) {
      return store.transaction(async (tx) => {
        await lock(tx, entity);
        const member = await memberOf(tx, entity, userId);
        await assertAssignable(tx, principal, entity, member.roles);
        await assertNotLastOwner(tx, entity, userId, false);
        await tx.members.remove(entity.type, entity.id, userId);
        await tx.publish({ t: "user", id: userId, kind: "removed", entityType: entity.type, entityId: entity.id });
        await record(tx, {
          principal,
          entity,
          event: "members.remove",
          resource: { type: "members", id: userId },
          change: { before: member },
        });
        await invitations.reconcile(tx, principal, entity, userId, true);
        await deps.onMemberLeft?.(tx, principal, entity, userId);
        return { userId, deleted: true as const };
      });
    },

    /** Gives an existing member one more role (`POST .../roles/{roleId}/members`). */
    async addRole(principal: Principal, entity: Entity, roleId: string, userId: string) {
      return store.transaction(async (tx) => {
        await lock(tx, entity);
        await roleOf(tx, entity, roleId);
        await memberOf(tx, entity, userId);
        await assertAssignable(tx, principal, entity, [roleId]);
        const before = await memberOf(tx, entity, userId);
        await tx.members.addRole(entity.type, entity.id, userId, roleId);
        await tx.publish({ t: "user", id: userId });
        const after = await memberOf(tx, entity, userId);
        await record(tx, {
          principal,
          entity,
          event: "members.update",
          resource: { type: "members", id: userId },
          change: { before, after },
        });
        return after;
      });
    },

    /** Takes one role from a member (`DELETE .../roles/{roleId}/members/{userId}`). */
    async removeRole(principal: Principal, entity: Entity, roleId: string, userId: string) {
      return store.transaction(async (tx) => {
        await lock(tx, entity);
        await roleOf(tx, entity, roleId);
        const member = await memberOf(tx, entity, userId);
        if (!member.roles.includes(roleId)) throw new DomainError("NOT_FOUND", `member ${userId} does not hold role ${roleId}`);
        await assertAssignable(tx, principal, entity, [roleId]);
        await assertNotLastOwner(tx, entity, userId, roleId !== OWNER_ROLE);
        await tx.members.removeRole(entity.type, entity.id, userId, roleId);
        return rolesChanged(tx, principal, entity, userId, member);
      });
    },
  };
}

export type MemberService = ReturnType<typeof createMemberService>;
