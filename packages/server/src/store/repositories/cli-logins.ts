import type { Executor } from "../database.js";
import type { CliLoginsTable } from "../schema.js";

export type CliLoginRow = CliLoginsTable;

/** Pending CLI logins, found by the hash of their session token; every state change is a compare-and-set. */
export function createCliLoginsRepository(db: Executor) {
  const moved = (result: { numUpdatedRows: bigint }) => result.numUpdatedRows === 1n;
  return {
    insert: (row: CliLoginRow) => db.insertInto("cli_logins").values(row).execute(),
    byIdHash: (idHash: string) => db.selectFrom("cli_logins").selectAll().where("id_hash", "=", idHash).executeTakeFirst(),
    /** Takes a pending, unexpired login for one approval or denial; true when this call won it. */
    claim: async (idHash: string, now: string, to: "claimed" | "denied", message: string | null = null) =>
      moved(
        await db
          .updateTable("cli_logins")
          .set({ status: to, message })
          .where("id_hash", "=", idHash)
          .where("status", "=", "pending")
          .where("expires_at", ">", now)
          .executeTakeFirst(),
      ),
    /** Gives a claimed login back (the approval failed); it can be approved again until it expires. */
    release: (idHash: string) =>
      db.updateTable("cli_logins").set({ status: "pending" }).where("id_hash", "=", idHash).where("status", "=", "claimed").execute(),
    /** Stores the approved token, sealed; false when the socket gave up meanwhile (the row is gone). */
    approve: async (idHash: string, contextName: string, sealedToken: string) =>
      moved(
        await db
          .updateTable("cli_logins")
          .set({ status: "approved", context_name: contextName, sealed_token: sealedToken })
          .where("id_hash", "=", idHash)
          .where("status", "=", "claimed")
          .executeTakeFirst(),
      ),
    /** Deletes a login; true when this call deleted it (so exactly one reader takes an outcome). */
    remove: async (idHash: string) =>
      (await db.deleteFrom("cli_logins").where("id_hash", "=", idHash).executeTakeFirst()).numDeletedRows === 1n,
    /** Deletes a login only while nobody is approving it; true when this call deleted it. */
    removePending: async (idHash: string) =>
      (await db.deleteFrom("cli_logins").where("id_hash", "=", idHash).where("status", "=", "pending").executeTakeFirst())
        .numDeletedRows === 1n,
    removeExpired: (now: string) => db.deleteFrom("cli_logins").where("expires_at", "<", now).execute(),
  };
}
