import type { Executor } from "../database.js";
import { keysetPage, type PageRequest } from "../pagination.js";
import type { EntityType, RolesTable } from "../schema.js";

export type RoleRow = RolesTable;

/** Queries on team and organisation roles; every call names the entity that holds the role. */
export function createRolesRepository(db: Executor) {
  return {
    insert: (row: RoleRow) => db.insertInto("roles").values(row).execute(),
    byId: (entityType: EntityType, entityId: string, id: string) =>
      db
        .selectFrom("roles")
        .selectAll()
        .where("entity_type", "=", entityType)
        .where("entity_id", "=", entityId)
        .where("id", "=", id)
        .executeTakeFirst(),
    byIds: async (entityType: EntityType, entityId: string, ids: string[]) =>
      ids.length === 0
        ? []
        : db
            .selectFrom("roles")
            .selectAll()
            .where("entity_type", "=", entityType)
            .where("entity_id", "=", entityId)
            .where("id", "in", ids)
            .execute(),
    update: (
      entityType: EntityType,
      entityId: string,
      id: string,
      patch: Partial<Pick<RoleRow, "name" | "description" | "permissions" | "restrictions" | "updated_at">>,
    ) =>
      db
        .updateTable("roles")
        .set(patch)
        .where("entity_type", "=", entityType)
        .where("entity_id", "=", entityId)
        .where("id", "=", id)
        .execute(),
    remove: (entityType: EntityType, entityId: string, id: string) =>
      db.deleteFrom("roles").where("entity_type", "=", entityType).where("entity_id", "=", entityId).where("id", "=", id).execute(),
    removeAllOf: (entityType: EntityType, entityId: string) =>
      db.deleteFrom("roles").where("entity_type", "=", entityType).where("entity_id", "=", entityId).execute(),
    page: (entityType: EntityType, entityId: string, page: PageRequest) =>
      keysetPage(db.selectFrom("roles").selectAll().where("entity_type", "=", entityType).where("entity_id", "=", entityId), page),
    /**
     * The roles of these teams and organisations whose permissions may name a permission of API `apiId` (a
     * pre-filter on the JSON text: the caller parses and decides). Slugs hold no LIKE wildcard.
     */
    namingApi: (holders: { type: EntityType; id: string }[], apiId: string) =>
      holders.length === 0
        ? Promise.resolve([] as RoleRow[])
        : db
            .selectFrom("roles")
            .selectAll()
            .where((e) => e.or(holders.map((h) => e.and([e("entity_type", "=", h.type), e("entity_id", "=", h.id)]))))
            .where("permissions", "like", `%"${apiId}:%`)
            .execute(),
    /**
     * Sets a role's permissions only if they are still `before` (compare and set): a concurrent edit of the role
     * makes it return false, and the caller reads the role again.
     */
    swapPermissions: async (entityType: EntityType, entityId: string, id: string, before: string, permissions: string, at: string) =>
      Number(
        (
          await db
            .updateTable("roles")
            .set({ permissions, updated_at: at })
            .where("entity_type", "=", entityType)
            .where("entity_id", "=", entityId)
            .where("id", "=", id)
            .where("permissions", "=", before)
            .executeTakeFirst()
        ).numUpdatedRows,
      ) === 1,
    /** Every role `userId` holds anywhere: the raw material of a person's grants. */
    heldBy: (userId: string) =>
      db
        .selectFrom("member_roles as mr")
        .innerJoin("roles as r", (j) =>
          j.onRef("r.entity_type", "=", "mr.entity_type").onRef("r.entity_id", "=", "mr.entity_id").onRef("r.id", "=", "mr.role_id"),
        )
        .leftJoin("teams as t", (j) => j.onRef("t.id", "=", "r.entity_id").on("r.entity_type", "=", "team"))
        .selectAll("r")
        .select("t.org_id as team_org_id")
        .where("mr.user_id", "=", userId)
        .execute(),
  };
}
