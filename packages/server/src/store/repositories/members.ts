import type { Executor } from "../database.js";
import { keysetPage, type PageRequest } from "../pagination.js";
import type { EntityType } from "../schema.js";

/** A membership with its person and the ids of the roles held there. */
export interface MemberRow {
  userId: string;
  email: string;
  name: string;
  joinedAt: string;
  roles: string[];
}

/** Queries on who belongs to a team or organisation and which roles they hold there. */
export function createMembersRepository(db: Executor) {
  const rolesOf = async (entityType: EntityType, entityId: string, userIds: string[]) => {
    const map = new Map<string, string[]>(userIds.map((id) => [id, []]));
    if (userIds.length === 0) return map;
    const rows = await db
      .selectFrom("member_roles")
      .select(["user_id", "role_id"])
      .where("entity_type", "=", entityType)
      .where("entity_id", "=", entityId)
      .where("user_id", "in", userIds)
      .orderBy("role_id")
      .execute();
    for (const r of rows) map.get(r.user_id)?.push(r.role_id);
    return map;
  };
  const base = (entityType: EntityType, entityId: string) =>
    db
      .selectFrom("memberships as m")
      .innerJoin("users as u", "u.id", "m.user_id")
      .select(["m.user_id", "u.email", "u.name", "m.created_at"])
      .where("m.entity_type", "=", entityType)
      .where("m.entity_id", "=", entityId);

  return {
    add: (entityType: EntityType, entityId: string, userId: string, at: string) =>
      db.insertInto("memberships").values({ entity_type: entityType, entity_id: entityId, user_id: userId, created_at: at }).execute(),
    remove: (entityType: EntityType, entityId: string, userId: string) =>
      db
        .deleteFrom("memberships")
        .where("entity_type", "=", entityType)
        .where("entity_id", "=", entityId)
        .where("user_id", "=", userId)
        .execute(),
    removeAllOf: async (entityType: EntityType, entityId: string) => {
      await db.deleteFrom("member_roles").where("entity_type", "=", entityType).where("entity_id", "=", entityId).execute();
      await db.deleteFrom("memberships").where("entity_type", "=", entityType).where("entity_id", "=", entityId).execute();
    },
    async get(entityType: EntityType, entityId: string, userId: string): Promise<MemberRow | undefined> {
      const row = await base(entityType, entityId).where("m.user_id", "=", userId).executeTakeFirst();
      if (!row) return undefined;
      const roles = (await rolesOf(entityType, entityId, [userId])).get(userId) ?? [];
      return { userId: row.user_id, email: row.email, name: row.name, joinedAt: row.created_at, roles };
    },
    async page(entityType: EntityType, entityId: string, page: PageRequest, roleId?: string) {
      let q = base(entityType, entityId);
      if (roleId !== undefined) {
        q = q.where((eb) =>
          eb.exists(
            eb
              .selectFrom("member_roles as mr")
              .select("mr.role_id")
              .whereRef("mr.entity_type", "=", "m.entity_type")
              .whereRef("mr.entity_id", "=", "m.entity_id")
              .whereRef("mr.user_id", "=", "m.user_id")
              .where("mr.role_id", "=", roleId),
          ),
        );
      }
      const p = await keysetPage(q, page, {
        columns: ["m.created_at", "m.user_id"],
        keyOf: (r) => ({ createdAt: r.created_at, id: r.user_id }),
      });
      const roles = await rolesOf(
        entityType,
        entityId,
        p.items.map((r) => r.user_id),
      );
      return {
        ...p,
        items: p.items.map((r): MemberRow => ({
          userId: r.user_id,
          email: r.email,
          name: r.name,
          joinedAt: r.created_at,
          roles: roles.get(r.user_id) ?? [],
        })),
      };
    },
    setRoles: async (entityType: EntityType, entityId: string, userId: string, roleIds: string[]) => {
      await db
        .deleteFrom("member_roles")
        .where("entity_type", "=", entityType)
        .where("entity_id", "=", entityId)
        .where("user_id", "=", userId)
        .execute();
      if (roleIds.length === 0) return;
      await db
        .insertInto("member_roles")
        .values(roleIds.map((role_id) => ({ entity_type: entityType, entity_id: entityId, user_id: userId, role_id })))
        .execute();
    },
    addRole: (entityType: EntityType, entityId: string, userId: string, roleId: string) =>
      db
        .insertInto("member_roles")
        .values({ entity_type: entityType, entity_id: entityId, user_id: userId, role_id: roleId })
        .onConflict((oc) => oc.doNothing())
        .execute(),
    removeRole: (entityType: EntityType, entityId: string, userId: string, roleId: string) =>
      db
        .deleteFrom("member_roles")
        .where("entity_type", "=", entityType)
        .where("entity_id", "=", entityId)
        .where("user_id", "=", userId)
        .where("role_id", "=", roleId)
        .execute(),
    /** How many people hold `roleId` there (the owner role must never drop to zero). */
    countHolders: async (entityType: EntityType, entityId: string, roleId: string) =>
      Number(
        (
          await db
            .selectFrom("member_roles")
            .select((eb) => eb.fn.countAll().as("n"))
            .where("entity_type", "=", entityType)
            .where("entity_id", "=", entityId)
            .where("role_id", "=", roleId)
            .executeTakeFirstOrThrow()
        ).n,
      ),
    /** The teams and organisations `userId` belongs to. */
    entitiesOf: (userId: string) =>
      db.selectFrom("memberships").select(["entity_type", "entity_id"]).where("user_id", "=", userId).execute(),
  };
}
