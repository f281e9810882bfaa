import type { Executor } from "../database.js";
import type { UsersTable } from "../schema.js";

export type UserRow = UsersTable;

/** Queries on people who can sign in. */
export function createUsersRepository(db: Executor) {
  return {
    insert: (row: UserRow) => db.insertInto("users").values(row).execute(),
    byId: (id: string) => db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst(),
    byEmail: (email: string) => db.selectFrom("users").selectAll().where("email", "=", email).executeTakeFirst(),
    count: async () =>
      Number(
        (
          await db
            .selectFrom("users")
            .select((eb) => eb.fn.countAll().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      ),
    setPassword: (id: string, passwordHash: string, at: string) =>
      db.updateTable("users").set({ password_hash: passwordHash, updated_at: at }).where("id", "=", id).execute(),
  };
}
