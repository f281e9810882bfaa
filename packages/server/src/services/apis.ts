import { apiPermissionName, DomainError, MAX_APIS_PER_ENTITY, OWNER_ROLE, type PermissionSet } from "@latchkey/core";
import type { PageRequest } from "../store/pagination.js";
import type { ApiOwner, ApiPermissionRow, ApiRow } from "../store/repositories/apis.js";
import type { RoleRow } from "../store/repositories/roles.js";
import type { Repositories, Store } from "../store/store.js";
import type { Recorder } from "../audit/service.js";
import type { Principal } from "../access/principal.js";
import type { Entity } from "../access/access.js";
import { idFrom } from "./entities.js";
import { lockApiNamespace, resolveApiPermissions, type ApiScopeHolder } from "./api-scope.js";
import { toRole } from "./roles.js";

type PermissionInput = { id: string; description: string; sensitive: boolean };

/** An API as the HTTP API shows it. */
export function toApi(row: ApiRow, permissions: readonly ApiPermissionRow[]) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    permissions: permissions.map((p) => ({ id: p.id, description: p.description, sensitive: p.sensitive === 1 })),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const ownerOf = (entity: Entity): ApiOwner => ({ type: entity.type, id: entity.id });

/**
 * APIs of your own: a team's or organisation's services and the permissions they check, which roles grant in
 * `apiScope`. Removing a permission (or the API) takes it out of every role in the same transaction, each role
 * change audited and published on the change feed, so tokens of those roles lose it on their next request.
 */
export function createApiService(deps: { store: Store; now: () => Date; record: Recorder }) {
  const { store, now, record } = deps;

  const load = async (tx: Repositories, entity: Entity, apiId: string) => {
    const row = await tx.apis.byId(ownerOf(entity), apiId);
    if (!row) throw new DomainError("NOT_FOUND", `API ${apiId} not found`);
    return { row, permissions: await tx.apis.permissionsOf(ownerOf(entity), [apiId]) };
  };

  /**
   * API changes of one organisation (or lone team) run one at a time, and with role changes that grant API
   * permissions: an API id stays unique across a team and its organisation, so that `<apiId>:<permissionId>` in a
   * role names one API, and no role gains a name an API change is removing.
   */
  const lock = (tx: Repositories, entity: Entity) => lockApiNamespace(tx, entity);

  /** The teams and organisations whose roles may name the APIs of `entity`. */
  const roleHolders = async (tx: Repositories, entity: Entity): Promise<ApiOwner[]> =>
    entity.type === "team"
      ? [ownerOf(entity)]
      : [ownerOf(entity), ...(await tx.teams.idsOfOrg(entity.id)).map((id) => ({ type: "team" as const, id }))];

  /** Rewrites one role's apiScope (compare and set, read again after a concurrent edit); audited when it changed. */
  const editApiScope = async (tx: Repositories, principal: Principal, role: RoleRow, edit: (scope: string[]) => string[], at: string) => {
    for (let current: RoleRow | undefined = role, attempt = 0; current && attempt < 5; attempt++) {
      const before = JSON.parse(current.permissions) as PermissionSet;
      const scope = before.apiScope ?? [];
      const nextScope = edit(scope);
      if (nextScope.length === scope.length && nextScope.every((n, i) => n === scope[i])) return false;
      const permissions = JSON.stringify({ ...before, apiScope: nextScope });
      if (await tx.roles.swapPermissions(current.entity_type, current.entity_id, current.id, current.permissions, permissions, at)) {
        const next = { ...current, permissions, updated_at: at };
        await tx.publish({ t: "role", entityType: current.entity_type, entityId: current.entity_id, roleId: current.id, kind: "api" });
        await record(tx, {
          principal,
          entity: { type: current.entity_type, id: current.entity_id },
          event: "roles.update",
          resource: { type: "roles", id: current.id },
          change: {
            before: toRole(current),
            after: toRole(next),
          },
        });
        return true;
      }
      current = await tx.roles.byId(current.entity_type, current.entity_id, current.id);
    }
    throw new DomainError("CONFLICT", `role ${role.id} kept changing; try again`);
  };

  /** Takes the named permissions of an API (all of them when `ids` is null) out of every role that grants them. */
  const removeFromRoles = async (
    tx: Repositories,
    principal: Principal,
    entity: Entity,
    apiId: string,
    ids: Set<string> | null,
    at: string,
  ) => {
    const prefix = `${apiId}:`;
    const drops = (name: string) => name.startsWith(prefix) && (ids === null || ids.has(name.slice(prefix.length)));
    const roles = await tx.roles.namingApi(await roleHolders(tx, entity), apiId);
    const changed: string[] = [];
    for (const role of roles) {
      if (await editApiScope(tx, principal, role, (scope) => scope.filter((n) => !drops(n)), at))
        changed.push(`${role.entity_type}:${role.entity_id}:${role.id}`);
    }
    return changed;
  };

  /** The owner role holds every permission: new permissions of its own entity's APIs are added to it. */
  const grantToOwner = async (tx: Repositories, principal: Principal, entity: Entity, names: string[], at: string) => {
    if (names.length === 0) return;
    const owner = await tx.roles.byId(entity.type, entity.id, OWNER_ROLE);
    if (owner) await editApiScope(tx, principal, owner, (scope) => [...scope, ...names.filter((n) => !scope.includes(n))], at);
  };

  const assertIdFree = async (tx: Repositories, entity: Entity, apiId: string) => {
    const clash: ApiOwner[] =
      entity.type === "team"
        ? [ownerOf(entity), ...(entity.orgId ? [{ type: "org" as const, id: entity.orgId }] : [])]
        : await roleHolders(tx, entity);
    const taken = await tx.apis.ownersOf(clash, apiId);
    if (taken.length > 0) {
      const where = taken[0]?.entity_type === entity.type && taken[0]?.entity_id === entity.id ? "here" : "in this organisation";
      throw new DomainError("CONFLICT", `an API with id ${apiId} exists ${where}; API ids are unique across an organisation and its teams`);
    }
  };

  return {
    async list(principal: Principal, entity: Entity, page: PageRequest) {
      const result = await store.apis.page(ownerOf(entity), page);
      const permissions = await store.apis.permissionsOf(
        ownerOf(entity),
        result.items.map((r) => r.id),
      );
      return {
        ...result,
        items: result.items.map((r) =>
          toApi(
            r,
            permissions.filter((p) => p.api_id === r.id),
          ),
        ),
      };
    },

    async get(principal: Principal, entity: Entity, apiId: string) {
      const { row, permissions } = await load(store, entity, apiId);
      return toApi(row, permissions);
    },

    async create(
      principal: Principal,
      entity: Entity,
      input: { id?: string | undefined; name: string; description: string; permissions: PermissionInput[] },
    ) {
      return store.transaction(async (tx) => {
        await lock(tx, entity);
        const apiId = idFrom(input.id, input.name);
        if ((await tx.apis.count(ownerOf(entity))) >= MAX_APIS_PER_ENTITY) {
          throw new DomainError("CONFLICT", `a ${entity.type} holds at most ${MAX_APIS_PER_ENTITY} APIs`);
        }
        await assertIdFree(tx, entity, apiId);
        const at = now().toISOString();
        const row: ApiRow = {
          entity_type: entity.type,
          entity_id: entity.id,
          id: apiId,
          name: input.name,
          description: input.description,
          created_at: at,
          updated_at: at,
        };
        await tx.apis.insert(row);
        await tx.apis.setPermissions(ownerOf(entity), apiId, input.permissions);
        const api = toApi(row, await tx.apis.permissionsOf(ownerOf(entity), [apiId]));
        await record(tx, { principal, entity, event: "apis.create", resource: { type: "apis", id: apiId }, change: { after: api } });
        await grantToOwner(
          tx,
          principal,
          entity,
          input.permissions.map((p) => apiPermissionName(apiId, p.id)),
          at,
        );
        return api;
      });
    },

    /** Edits an API; `permissions` replaces the list, and a permission left out leaves every role that granted it. */
    async update(
      principal: Principal,
      entity: Entity,
      apiId: string,
      patch: { name?: string | undefined; description?: string | undefined; permissions?: PermissionInput[] | undefined },
    ) {
      return store.transaction(async (tx) => {
        await lock(tx, entity);
        const { row, permissions } = await load(tx, entity, apiId);
        const at = now().toISOString();
        const next: ApiRow = {
          ...row,
          ...(patch.name === undefined ? {} : { name: patch.name }),
          ...(patch.description === undefined ? {} : { description: patch.description }),
          updated_at: at,
        };
        await tx.apis.update(ownerOf(entity), apiId, { name: next.name, description: next.description, updated_at: at });
        const before = toApi(row, permissions);
        if (patch.permissions) {
          const kept = new Set(patch.permissions.map((p) => p.id));
          const removed = new Set(permissions.filter((p) => !kept.has(p.id)).map((p) => p.id));
          const added = patch.permissions.filter((p) => !permissions.some((old) => old.id === p.id));
          await tx.apis.setPermissions(ownerOf(entity), apiId, patch.permissions);
          if (removed.size > 0) await removeFromRoles(tx, principal, entity, apiId, removed, at);
          await grantToOwner(
            tx,
            principal,
            entity,
            added.map((p) => apiPermissionName(apiId, p.id)),
            at,
          );
        }
        const after = toApi(next, await tx.apis.permissionsOf(ownerOf(entity), [apiId]));
        await record(tx, { principal, entity, event: "apis.update", resource: { type: "apis", id: apiId }, change: { before, after } });
        return after;
      });
    },

    /** Deletes an API; its permissions leave every role that granted them, in the same transaction. */
    async remove(principal: Principal, entity: Entity, apiId: string) {
      return store.transaction(async (tx) => {
        await lock(tx, entity);
        const { row, permissions } = await load(tx, entity, apiId);
        const at = now().toISOString();
        const roles = await removeFromRoles(tx, principal, entity, apiId, null, at);
        await tx.apis.remove(ownerOf(entity), apiId);
        await record(tx, {
          principal,
          entity,
          event: "apis.delete",
          resource: { type: "apis", id: apiId },
          change: { before: { ...toApi(row, permissions), rolesUpdated: roles } },
        });
        return { id: apiId, deleted: true as const };
      });
    },

    /**
     * For the doors (forward auth, check, introspection): which full names (`billing:invoices.read`) are declared
     * permissions of APIs that roles of `holder` may grant, and which are not. No principal: the caller decides who
     * may ask.
     */
    resolve: (holder: ApiScopeHolder, names: readonly string[]) => resolveApiPermissions(store, holder, names),
  };
}

export type ApiService = ReturnType<typeof createApiService>;
