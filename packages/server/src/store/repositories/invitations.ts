import type { Executor } from "../database.js";
import type { InvitationsTable } from "../schema.js";

export type InvitationRow = InvitationsTable;

/** Pending invitations, found by the hash of their secret. */
export function createInvitationsRepository(db: Executor) {
  return {
    insert: (row: InvitationRow) => db.insertInto("invitations").values(row).execute(),
    byTokenHash: (hash: string) => db.selectFrom("invitations").selectAll().where("token_hash", "=", hash).executeTakeFirst(),
    /** Marks it accepted unless someone else did first; true when this call won. */
    accept: async (id: string, at: string) =>
      (
        await db
          .updateTable("invitations")
          .set({ accepted_at: at })
          .where("id", "=", id)
          .where("accepted_at", "is", null)
          .executeTakeFirst()
      ).numUpdatedRows === 1n,
    removeAllOf: (entityType: "team" | "org", entityId: string) =>
      db.deleteFrom("invitations").where("entity_type", "=", entityType).where("entity_id", "=", entityId).execute(),
  };
}
