import type { Executor } from "../database.js";
import type { SessionsTable } from "../schema.js";

export type SessionRow = SessionsTable;

/** Console sessions, kept by the hash of their id. */
export function createSessionsRepository(db: Executor) {
  return {
    insert: (row: SessionRow) => db.insertInto("sessions").values(row).execute(),
    byIdHash: (idHash: string) => db.selectFrom("sessions").selectAll().where("id_hash", "=", idHash).executeTakeFirst(),
    touch: (idHash: string, at: string) => db.updateTable("sessions").set({ last_seen_at: at }).where("id_hash", "=", idHash).execute(),
    remove: (idHash: string) => db.deleteFrom("sessions").where("id_hash", "=", idHash).execute(),
    removeForUser: (userId: string) => db.deleteFrom("sessions").where("user_id", "=", userId).execute(),
    removeExpired: (now: string) => db.deleteFrom("sessions").where("expires_at", "<", now).execute(),
  };
}
