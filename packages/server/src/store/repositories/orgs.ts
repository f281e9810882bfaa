import type { Executor } from "../database.js";
import { after, decodeCursor, toPage, type PageRequest } from "../pagination.js";
import type { OrgsTable } from "../schema.js";

export type OrgRow = OrgsTable;
/** A new organisation: its own rate limit is unset unless given. */
export type NewOrg = Omit<OrgRow, "rate_limit_per_hour"> & { rate_limit_per_hour?: number | null };

/** Queries on organisations. */
export function createOrgsRepository(db: Executor) {
  return {
    insert: (row: NewOrg) => db.insertInto("orgs").values(row).execute(),
    byId: (id: string) => db.selectFrom("orgs").selectAll().where("id", "=", id).executeTakeFirst(),
    update: (id: string, patch: Partial<Pick<OrgRow, "name" | "updated_at" | "rate_limit_per_hour">>) =>
      db.updateTable("orgs").set(patch).where("id", "=", id).execute(),
    remove: (id: string) => db.deleteFrom("orgs").where("id", "=", id).execute(),
    /** The organisations `userId` is a member of, newest first. */
    async pageForUser(userId: string, page: PageRequest) {
      const key = decodeCursor(page.cursor);
      let q = db
        .selectFrom("orgs")
        .innerJoin("memberships as m", (j) =>
          j.onRef("m.entity_id", "=", "orgs.id").on("m.entity_type", "=", "org").on("m.user_id", "=", userId),
        )
        .selectAll("orgs");
      if (key) q = q.where(after("orgs.created_at", "orgs.id", key));
      const rows = await q
        .orderBy("orgs.created_at", "desc")
        .orderBy("orgs.id", "desc")
        .limit(page.perPage + 1)
        .execute();
      return toPage(rows, page.perPage, (r) => ({ createdAt: r.created_at, id: r.id }));
    },
  };
}
