import type { Executor } from "../database.js";
import type { SigningKeysTable } from "../schema.js";

export type SigningKeyRow = SigningKeysTable;

/** The instance's JWT signing keys. */
export function createSigningKeysRepository(db: Executor) {
  return {
    insert: (row: SigningKeyRow) => db.insertInto("signing_keys").values(row).execute(),
    all: () => db.selectFrom("signing_keys").selectAll().orderBy("created_at", "desc").orderBy("kid", "desc").execute(),
    /** Stops signing with every key but `kid`; retired keys still verify the tokens they signed. */
    retireAllBut: (kid: string, at: string) =>
      db.updateTable("signing_keys").set({ retired_at: at }).where("kid", "!=", kid).where("retired_at", "is", null).execute(),
  };
}
