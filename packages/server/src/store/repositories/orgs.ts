import type { Executor } from "../database.js";
import { createdAtAndId, keysetPage, type PageRequest } from "../pagination.js";
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
    pageForUser: (userId: string, page: PageRequest) =>
      keysetPage(
        db
          .selectFrom("orgs")
          .innerJoin("memberships as m", (j) =>
            j.onRef("m.entity_id", "=", "orgs.id").on("m.entity_type", "=", "org").on("m.user_id", "=", userId),
          )
          .selectAll("orgs"),
        page,
        { columns: ["orgs.created_at", "orgs.id"], keyOf: createdAtAndId },
      ),
  };
}
