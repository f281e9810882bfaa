import type { Executor } from "../database.js";
import type { DeviceAuthorizationsTable, EntityType } from "../schema.js";

export type DeviceAuthorizationRow = DeviceAuthorizationsTable;

/** Device authorizations (RFC 8628), found by the hash of their device code or user code; changes are compare-and-set. */
export function createDeviceAuthorizationsRepository(db: Executor) {
  return {
    insert: (row: DeviceAuthorizationRow) => db.insertInto("device_authorizations").values(row).execute(),
    byDeviceCodeHash: (hash: string) =>
      db.selectFrom("device_authorizations").selectAll().where("device_code_hash", "=", hash).executeTakeFirst(),
    /** A pending, unexpired request by its user code's hash. */
    pendingByUserCodeHash: (hash: string, now: string) =>
      db
        .selectFrom("device_authorizations")
        .selectAll()
        .where("user_code_hash", "=", hash)
        .where("status", "=", "pending")
        .where("expires_at", ">", now)
        .executeTakeFirst(),
    /** Records a poll; a poll sooner than the interval after the last one also raises the interval (slow_down). */
    polled: (hash: string, at: string, intervalSeconds: number) =>
      db
        .updateTable("device_authorizations")
        .set({ last_polled_at: at, interval_seconds: intervalSeconds })
        .where("device_code_hash", "=", hash)
        .execute(),
    /** Stores the approval; false when another approval or denial came first (or the request expired). */
    approve: async (
      hash: string,
      now: string,
      approved: { entityType: EntityType; entityId: string; tokenId: string; sealedToken: string; tokenExpiresAt: string | null },
    ) =>
      (
        await db
          .updateTable("device_authorizations")
          .set({
            status: "approved",
            entity_type: approved.entityType,
            entity_id: approved.entityId,
            token_id: approved.tokenId,
            sealed_token: approved.sealedToken,
            token_expires_at: approved.tokenExpiresAt,
          })
          .where("device_code_hash", "=", hash)
          .where("status", "=", "pending")
          .where("expires_at", ">", now)
          .executeTakeFirst()
      ).numUpdatedRows === 1n,
    deny: async (hash: string, now: string) =>
      (
        await db
          .updateTable("device_authorizations")
          .set({ status: "denied" })
          .where("device_code_hash", "=", hash)
          .where("status", "=", "pending")
          .where("expires_at", ">", now)
          .executeTakeFirst()
      ).numUpdatedRows === 1n,
    /** Deletes a request; true when this call deleted it (so exactly one poll takes the token). */
    remove: async (hash: string) =>
      (await db.deleteFrom("device_authorizations").where("device_code_hash", "=", hash).executeTakeFirst()).numDeletedRows === 1n,
    countPending: async (now: string) =>
      Number(
        (
          await db
            .selectFrom("device_authorizations")
            .select((eb) => eb.fn.countAll().as("n"))
            .where("expires_at", ">", now)
            .executeTakeFirstOrThrow()
        ).n,
      ),
    removeExpired: (now: string) => db.deleteFrom("device_authorizations").where("expires_at", "<", now).execute(),
  };
}
