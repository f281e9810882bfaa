import { DomainError } from "@latchkey/core";
import type { Config } from "../config.js";
import type { UserRow } from "../store/repositories/users.js";
import type { Repositories, Store } from "../store/store.js";
import { newId, randomSecret, safeEqual, sha256 } from "../lib/secrets.js";
import { hashPassword } from "../lib/passwords.js";
import { toUser, type User } from "./users.js";

const SETUP_KEY = "setup_token_hash";

/** Creates an account; 409 when the address has one (callers that must not say so check first). */
export async function createUser(tx: Repositories, at: Date, email: string, name: string, password: string): Promise<UserRow> {
  if (await tx.users.byEmail(email)) throw new DomainError("CONFLICT", `an account for ${email} already exists; sign in instead`);
  const iso = at.toISOString();
  const row = { id: newId("usr"), email, name, password_hash: await hashPassword(password), created_at: iso, updated_at: iso };
  await tx.users.insert(row);
  return row;
}

/** Creating the first account: the bootstrap owner, or the one-time setup link. Invitees: invitation-acceptance.ts. */
export function createAccountService(deps: { store: Store; config: Config; now: () => Date }) {
  const { store, config, now } = deps;

  return {
    /**
     * Run at start-up. On an empty database: creates the bootstrap owner when configured, else a one-time setup
     * link (returned so that main can print it; only its hash is stored). Null when nothing needs doing.
     */
    async bootstrap(): Promise<{ createdEmail: string } | { setupUrl: string } | null> {
      if ((await store.users.count()) > 0) return null;
      if (config.bootstrap) {
        const { email, password } = config.bootstrap;
        // Processes starting together on one database: one creates the owner, the others find it there.
        const created = await store.transaction(async (tx) => {
          await tx.advisoryLock("latchkey:bootstrap");
          if ((await tx.users.count()) > 0) return false;
          await createUser(tx, now(), email, email.split("@")[0] ?? email, password);
          return true;
        });
        return created ? { createdEmail: email } : null;
      }
      const secret = randomSecret(32);
      await store.meta.set(SETUP_KEY, sha256(secret));
      return { setupUrl: `${config.publicUrl}/setup?token=${secret}` };
    },

    /** Whether the instance still waits for its first account. */
    needsSetup: async (): Promise<boolean> => (await store.users.count()) === 0,

    /** Whether `token` is this run's setup link and can still make the first account. */
    async setupLinkValid(token: string): Promise<boolean> {
      const expected = await store.meta.get(SETUP_KEY);
      return expected !== undefined && safeEqual(sha256(token), expected) && (await store.users.count()) === 0;
    },

    /** Creates the first account through the setup link; works once. */
    async setup(input: { token: string; email: string; name: string; password: string }): Promise<User> {
      return store.transaction(async (tx) => {
        const expected = await tx.meta.get(SETUP_KEY);
        if (!expected || !safeEqual(sha256(input.token), expected) || (await tx.users.count()) > 0) {
          throw new DomainError("FORBIDDEN", "this setup link is not valid (it works once, on an empty instance)");
        }
        await tx.meta.remove(SETUP_KEY);
        return toUser(await createUser(tx, now(), input.email, input.name, input.password));
      });
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
