import type { Executor } from "../database.js";
import { keysetPage, type PageRequest } from "../pagination.js";
import type { EntityType, InvitationsTable } from "../schema.js";

export type InvitationRow = InvitationsTable;

/** Invitations, found by the hash of either secret: the link given to the inviter, or the one sent to the address. */
export function createInvitationsRepository(db: Executor) {
  /** Pending: neither accepted nor revoked, and not past its end. */
  const pending = (at: string) =>
    db.selectFrom("invitations").selectAll().where("accepted_at", "is", null).where("revoked_at", "is", null).where("expires_at", ">", at);

  return {
    insert: (row: InvitationRow) => db.insertInto("invitations").values(row).execute(),
    byTokenHash: (hash: string) => db.selectFrom("invitations").selectAll().where("token_hash", "=", hash).executeTakeFirst(),
    byConfirmHash: (hash: string) => db.selectFrom("invitations").selectAll().where("confirm_hash", "=", hash).executeTakeFirst(),
    byId: (entityType: EntityType, entityId: string, id: string) =>
      db
        .selectFrom("invitations")
        .selectAll()
        .where("entity_type", "=", entityType)
        .where("entity_id", "=", entityId)
        .where("id", "=", id)
        .executeTakeFirst(),
    /** The pending invitations of a team or organisation, newest first. */
    page: (entityType: EntityType, entityId: string, at: string, page: PageRequest) =>
      keysetPage(pending(at).where("entity_type", "=", entityType).where("entity_id", "=", entityId), page),
    /** Pending invitations that `userId` sent, anywhere. */
    pendingSentBy: (userId: string, at: string) => pending(at).where("invited_by", "=", userId).execute(),
    /** Pending invitations of a team or organisation addressed to `email`. */
    pendingFor: (entityType: EntityType, entityId: string, email: string, at: string) =>
      pending(at).where("entity_type", "=", entityType).where("entity_id", "=", entityId).where("email", "=", email).execute(),
    /** Marks it accepted unless it was used or revoked first; true when this call won. */
    accept: async (id: string, at: string) =>
      (
        await db
          .updateTable("invitations")
          .set({ accepted_at: at })
          .where("id", "=", id)
          .where("accepted_at", "is", null)
          .where("revoked_at", "is", null)
          .executeTakeFirst()
      ).numUpdatedRows === 1n,
    /** Ends pending invitations; the ids that were still pending. */
    revoke: async (ids: string[], at: string): Promise<number> => {
      if (ids.length === 0) return 0;
      const result = await db
        .updateTable("invitations")
        .set({ revoked_at: at })
        .where("id", "in", ids)
        .where("accepted_at", "is", null)
        .where("revoked_at", "is", null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    /** A new link for the inviter and a new end (the previous link stops working), while it is still pending. */
    renew: async (id: string, tokenHash: string, expiresAt: string): Promise<boolean> =>
      (
        await db
          .updateTable("invitations")
          .set({ token_hash: tokenHash, expires_at: expiresAt })
          .where("id", "=", id)
          .where("accepted_at", "is", null)
          .where("revoked_at", "is", null)
          .executeTakeFirst()
      ).numUpdatedRows === 1n,
    /** A new secret for the address (the previous one stops working). */
    setConfirm: (id: string, confirmHash: string, at: string) =>
      db.updateTable("invitations").set({ confirm_hash: confirmHash, confirm_sent_at: at }).where("id", "=", id).execute(),
    removeAllOf: (entityType: EntityType, entityId: string) =>
      db.deleteFrom("invitations").where("entity_type", "=", entityType).where("entity_id", "=", entityId).execute(),
  };
}
