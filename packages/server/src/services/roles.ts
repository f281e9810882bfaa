import { DomainError, OWNER_ROLE, type OrgRestrictions, type PermissionSet, type ProjectRestrictions } from "@latchkey/core";
import type { PageRequest } from "../store/pagination.js";
import type { RoleRow } from "../store/repositories/roles.js";
import type { Repositories, Store } from "../store/store.js";
import { clearRole, idFrom } from "./entities.js";
import { assertApiScope } from "./api-scope.js";
import type { Recorder } from "../audit/service.js";
import { grantOf, type Principal } from "../access/principal.js";
import { assertCovers, type Entity } from "../access/access.js";

type Restrictions = ProjectRestrictions | OrgRestrictions;

/** A role's stored permissions; a role stored before APIs of your own has no `apiScope`: it grants none. */
function permissionsOf(row: RoleRow): Required<PermissionSet> {
  const p = JSON.parse(row.permissions) as PermissionSet;
  return { ...p, apiScope: p.apiScope ?? [] };
}

/** A role as the API shows it. */
export function toRole(row: RoleRow) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    permissions: permissionsOf(row),
    restrictions: JSON.parse(row.restrictions) as Restrictions,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

async function validateRestrictions(tx: Repositories, entity: Entity, restrictions: Restrictions): Promise<void> {
  if (entity.type !== "org" || !("teams" in restrictions)) return;
  const teams = new Set(await tx.teams.idsOfOrg(entity.id));
  const foreign = restrictions.teams.filter((t) => !teams.has(t.teamId)).map((t) => t.teamId);
  if (foreign.length > 0) {
    throw new DomainError("VALIDATION_FAILED", `teams not in organisation ${entity.id}: ${foreign.join(", ")}`, {
      fields: { "restrictions.teams": "must name teams of this organisation" },
    });
  }
}

function assertShape(entity: Entity, permissions: PermissionSet): void {
  if (entity.type === "team" && permissions.orgScope.length > 0) {
    throw new DomainError("VALIDATION_FAILED", "a team role cannot hold organisation permissions", {
      fields: { "permissions.orgScope": "must be empty for a team role" },
    });
  }
}

/** Loads a role of an entity, 404 when there is none. */
export async function roleOf(tx: Repositories, entity: Entity, roleId: string): Promise<RoleRow> {
  const role = await tx.roles.byId(entity.type, entity.id, roleId);
  if (!role) throw new DomainError("NOT_FOUND", `role ${roleId} not found`);
  return role;
}

/** Team and organisation roles: the permissions every member and token of the role holds. */
export function createRoleService(deps: { store: Store; now: () => Date; record: Recorder }) {
  const { store, now, record } = deps;
  /** Every process rereads the role's grant on its members' and tokens' next request. */
  const changed = (tx: Repositories, entity: Entity, roleId: string, deleted = false) =>
    tx.publish({ t: "role", entityType: entity.type, entityId: entity.id, roleId, ...(deleted ? { kind: "deleted" as const } : {}) });

  return {
    async list(principal: Principal, entity: Entity, page: PageRequest) {
      const result = await store.roles.page(entity.type, entity.id, page);
      return { ...result, items: result.items.map(toRole) };
    },

    async get(principal: Principal, entity: Entity, roleId: string) {
      return toRole(await roleOf(store, entity, roleId));
    },

    async create(
      principal: Principal,
      entity: Entity,
      input: { id?: string | undefined; name: string; description: string; permissions: PermissionSet; restrictions: Restrictions },
    ) {
      const at = now().toISOString();
      return store.transaction(async (tx) => {
        assertShape(entity, input.permissions);
        await assertApiScope(tx, entity, input.permissions);
        await validateRestrictions(tx, entity, input.restrictions);
        const row: RoleRow = {
          entity_type: entity.type,
          entity_id: entity.id,
          id: idFrom(input.id, input.name),
          name: input.name,
          description: input.description,
          permissions: JSON.stringify(input.permissions),
          restrictions: JSON.stringify(input.restrictions),
          created_at: at,
          updated_at: at,
        };
        assertCovers(principal, grantOf(row, entity.orgId), "this role");
        await tx.roles.insert(row);
        await record(tx, {
          principal,
          entity,
          event: "roles.create",
          resource: { type: "roles", id: row.id },
          change: { after: toRole(row) },
        });
        return toRole(row);
      });
    },

    async update(
      principal: Principal,
      entity: Entity,
      roleId: string,
      patch: {
        name?: string | undefined;
        description?: string | undefined;
        permissions?: PermissionSet | undefined;
        restrictions?: Restrictions | undefined;
      },
    ) {
      return store.transaction(async (tx) => {
        const role = await roleOf(tx, entity, roleId);
        if (roleId === OWNER_ROLE && (patch.permissions || patch.restrictions)) {
          throw new DomainError("VALIDATION_FAILED", "the owner role always holds every permission", {
            fields: { permissions: "cannot be changed on the owner role" },
          });
        }
        if (patch.permissions) {
          assertShape(entity, patch.permissions);
          await assertApiScope(tx, entity, patch.permissions);
        }
        if (patch.restrictions) await validateRestrictions(tx, entity, patch.restrictions);
        const next: RoleRow = {
          ...role,
          ...(patch.name === undefined ? {} : { name: patch.name }),
          ...(patch.description === undefined ? {} : { description: patch.description }),
          ...(patch.permissions ? { permissions: JSON.stringify(patch.permissions) } : {}),
          ...(patch.restrictions ? { restrictions: JSON.stringify(patch.restrictions) } : {}),
          updated_at: now().toISOString(),
        };
        // Neither the role as it is nor as it would be may exceed what the editor holds.
        assertCovers(principal, grantOf(role, entity.orgId), "editing this role");
        assertCovers(principal, grantOf(next, entity.orgId), "this change");
        await tx.roles.update(entity.type, entity.id, roleId, {
          name: next.name,
          description: next.description,
          permissions: next.permissions,
          restrictions: next.restrictions,
          updated_at: next.updated_at,
        });
        await changed(tx, entity, roleId);
        await record(tx, {
          principal,
          entity,
          event: "roles.update",
          resource: { type: "roles", id: roleId },
          change: { before: toRole(role), after: toRole(next) },
        });
        return toRole(next);
      });
    },

    /** Deletes a role; its members lose it, and (with tokens) its tokens are revoked in the same transaction. */
    async remove(principal: Principal, entity: Entity, roleId: string) {
      return store.transaction(async (tx) => {
        const role = await roleOf(tx, entity, roleId);
        if (roleId === OWNER_ROLE) throw new DomainError("CONFLICT", "the owner role cannot be deleted");
        assertCovers(principal, grantOf(role, entity.orgId), "deleting this role");
        await changed(tx, entity, roleId, true);
        await clearRole(tx, entity, roleId, now().toISOString());
        await tx.roles.remove(entity.type, entity.id, roleId);
        await record(tx, {
          principal,
          entity,
          event: "roles.delete",
          resource: { type: "roles", id: roleId },
          change: { before: toRole(role) },
        });
        return { id: roleId, deleted: true as const };
      });
    },
  };
}

export type RoleService = ReturnType<typeof createRoleService>;
