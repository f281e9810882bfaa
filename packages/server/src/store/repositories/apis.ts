import type { Executor } from "../database.js";
import { keysetPage, type PageRequest } from "../pagination.js";
import type { ApiPermissionsTable, ApisTable, EntityType } from "../schema.js";

export type ApiRow = ApisTable;
export type ApiPermissionRow = ApiPermissionsTable;

/** A team or an organisation, as the owner of APIs. */
export interface ApiOwner {
  type: EntityType;
  id: string;
}

/** Queries on the APIs of your own of teams and organisations, and the permissions they declare. */
export function createApisRepository(db: Executor) {
  const permissionsOf = (owner: ApiOwner, apiIds: string[]) =>
    apiIds.length === 0
      ? Promise.resolve([] as ApiPermissionRow[])
      : db
          .selectFrom("api_permissions")
          .selectAll()
          .where("entity_type", "=", owner.type)
          .where("entity_id", "=", owner.id)
          .where("api_id", "in", apiIds)
          .orderBy("api_id")
          .orderBy("position")
          .execute();
  /** Deletes the permissions one API declares. */
  const clearPermissions = (owner: ApiOwner, apiId: string) =>
    db
      .deleteFrom("api_permissions")
      .where("entity_type", "=", owner.type)
      .where("entity_id", "=", owner.id)
      .where("api_id", "=", apiId)
      .execute();
  return {
    insert: (row: ApiRow) => db.insertInto("apis").values(row).execute(),
    byId: (owner: ApiOwner, id: string) =>
      db
        .selectFrom("apis")
        .selectAll()
        .where("entity_type", "=", owner.type)
        .where("entity_id", "=", owner.id)
        .where("id", "=", id)
        .executeTakeFirst(),
    count: async (owner: ApiOwner) =>
      Number(
        (
          await db
            .selectFrom("apis")
            .select((e) => e.fn.countAll().as("n"))
            .where("entity_type", "=", owner.type)
            .where("entity_id", "=", owner.id)
            .executeTakeFirst()
        )?.n ?? 0,
      ),
    /** Which of `owners` hold an API with this id (ids are kept unique across a team and its organisation). */
    ownersOf: (owners: ApiOwner[], id: string) =>
      owners.length === 0
        ? Promise.resolve([] as Pick<ApiRow, "entity_type" | "entity_id">[])
        : db
            .selectFrom("apis")
            .select(["entity_type", "entity_id"])
            .where("id", "=", id)
            .where((e) => e.or(owners.map((o) => e.and([e("entity_type", "=", o.type), e("entity_id", "=", o.id)]))))
            .execute(),
    update: (owner: ApiOwner, id: string, patch: Partial<Pick<ApiRow, "name" | "description" | "updated_at">>) =>
      db
        .updateTable("apis")
        .set(patch)
        .where("entity_type", "=", owner.type)
        .where("entity_id", "=", owner.id)
        .where("id", "=", id)
        .execute(),
    /** Deletes an API and its permissions. */
    async remove(owner: ApiOwner, id: string) {
      await clearPermissions(owner, id);
      await db.deleteFrom("apis").where("entity_type", "=", owner.type).where("entity_id", "=", owner.id).where("id", "=", id).execute();
    },
    /** Every API of a deleted team or organisation. */
    async removeAllOf(owner: ApiOwner) {
      await db.deleteFrom("api_permissions").where("entity_type", "=", owner.type).where("entity_id", "=", owner.id).execute();
      await db.deleteFrom("apis").where("entity_type", "=", owner.type).where("entity_id", "=", owner.id).execute();
    },
    permissionsOf,
    /** Replaces the permissions an API declares, in the given order. */
    async setPermissions(owner: ApiOwner, apiId: string, permissions: { id: string; description: string; sensitive: boolean }[]) {
      await clearPermissions(owner, apiId);
      if (permissions.length === 0) return;
      await db
        .insertInto("api_permissions")
        .values(
          permissions.map((p, position) => ({
            entity_type: owner.type,
            entity_id: owner.id,
            api_id: apiId,
            id: p.id,
            description: p.description,
            sensitive: p.sensitive ? 1 : 0,
            position,
          })),
        )
        .execute();
    },
    /** The declared permissions of the named APIs of any of `owners`: what `apiScope` names may refer to. */
    declared: (owners: ApiOwner[], apiIds: string[]) =>
      owners.length === 0 || apiIds.length === 0
        ? Promise.resolve([] as Pick<ApiPermissionRow, "entity_type" | "entity_id" | "api_id" | "id">[])
        : db
            .selectFrom("api_permissions")
            .select(["entity_type", "entity_id", "api_id", "id"])
            .where("api_id", "in", apiIds)
            .where((e) => e.or(owners.map((o) => e.and([e("entity_type", "=", o.type), e("entity_id", "=", o.id)]))))
            .execute(),
    page: (owner: ApiOwner, page: PageRequest) =>
      keysetPage(db.selectFrom("apis").selectAll().where("entity_type", "=", owner.type).where("entity_id", "=", owner.id), page),
  };
}
