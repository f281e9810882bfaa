import { DomainError, OWNER_ROLE } from "@latchkey/core";
import type { PageRequest } from "../store/pagination.js";
import type { Repositories, Store } from "../store/store.js";
import type { Recorder } from "../audit/service.js";
import { assertAssignable, type InvitationService } from "./invitations.js";
import type { Principal } from "../access/principal.js";
import { roleOf } from "./roles.js";
import { authorize, entityFor, entityPermission, type Entity } from "../access/access.js";

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
        await invitations.reconcile(tx, principal, entity, userId, false);
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
        await invitations.reconcile(tx, principal, entity, userId, true);
        await deps.onMemberLeft?.(tx, principal, entity, userId);
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
        await invitations.reconcile(tx, principal, entity, userId, false);
        return after;
      });
    },
  };
}

export type MemberService = ReturnType<typeof createMemberService>;
