import type { Executor } from "../database.js";

/** Small named values the instance keeps (the one-time setup secret's hash, for one). */
export function createMetaRepository(db: Executor) {
  return {
    get: async (key: string) => (await db.selectFrom("meta").select("value").where("key", "=", key).executeTakeFirst())?.value,
    set: (key: string, value: string) =>
      db
        .insertInto("meta")
        .values({ key, value })
        .onConflict((oc) => oc.column("key").doUpdateSet({ value }))
        .execute(),
    remove: (key: string) => db.deleteFrom("meta").where("key", "=", key).execute(),
  };
}
