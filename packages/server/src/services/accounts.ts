import { DomainError } from "@latchkey/core";
import type { Config } from "../config.js";
import type { Store } from "../store/store.js";
import { hashPassword, newId, randomSecret, safeEqual, sha256, verifyPassword } from "./secrets.js";
import type { Recorder } from "./audit.js";
import { assertNotThrottled, type Throttle } from "./throttle.js";
import { toUser, type User } from "./users.js";

const SETUP_KEY = "setup_token_hash";

/** Creating accounts: the first owner (bootstrap or one-time setup link) and invitees accepting their invitation. */
export function createAccountService(deps: { store: Store; config: Config; now: () => Date; record: Recorder; throttle: Throttle }) {
  const { store, config, now, record, throttle } = deps;

  const createUser = async (tx: Parameters<Parameters<Store["transaction"]>[0]>[0], email: string, name: string, password: string) => {
    if (await tx.users.byEmail(email)) throw new DomainError("CONFLICT", `an account for ${email} already exists; sign in instead`);
    const at = now().toISOString();
    const row = { id: newId("usr"), email, name, password_hash: await hashPassword(password), created_at: at, updated_at: at };
    await tx.users.insert(row);
    return row;
  };

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
          await createUser(tx, email, email.split("@")[0] ?? email, password);
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

    /** Creates the first account through the setup link; works once. */
    async setup(input: { token: string; email: string; name: string; password: string }): Promise<User> {
      return store.transaction(async (tx) => {
        const expected = await tx.meta.get(SETUP_KEY);
        if (!expected || !safeEqual(sha256(input.token), expected) || (await tx.users.count()) > 0) {
          throw new DomainError("FORBIDDEN", "this setup link is not valid (it works once, on an empty instance)");
        }
        await tx.meta.remove(SETUP_KEY);
        return toUser(await createUser(tx, input.email, input.name, input.password));
      });
    },

    /**
     * The invitee sets their name and password; they join with the invited roles. For an e-mail that has an account
     * by now, the password is checked like a sign-in, throttled with it: a pending link is no password oracle.
     */
    async acceptInvitation(input: { token: string; name: string; password: string }, ip: string): Promise<User> {
      return store.transaction(async (tx) => {
        const invitation = await tx.invitations.byTokenHash(sha256(input.token));
        if (!invitation || invitation.accepted_at !== null || Date.parse(invitation.expires_at) <= now().getTime()) {
          throw new DomainError("NOT_FOUND", "this invitation is unknown, used or expired");
        }
        if (!(await tx.invitations.accept(invitation.id, now().toISOString()))) {
          throw new DomainError("CONFLICT", "this invitation was just used");
        }
        // Someone who has an account by now proves it with their password; everyone else gets a new account.
        const existing = await tx.users.byEmail(invitation.email);
        if (existing) {
          const keys = [`account:${existing.email}`, `ip:${ip}`];
          assertNotThrottled(throttle, keys);
          if (!(await verifyPassword(input.password, existing.password_hash))) {
            for (const k of keys) throttle.fail(k);
            throw new DomainError("CONFLICT", `an account for ${invitation.email} exists: give its password to accept`);
          }
        }
        const user = existing ?? (await createUser(tx, invitation.email, input.name, input.password));
        if (await tx.members.get(invitation.entity_type, invitation.entity_id, user.id)) {
          throw new DomainError("CONFLICT", `${invitation.email} is already a member`);
        }
        const exists =
          invitation.entity_type === "team" ? await tx.teams.byId(invitation.entity_id) : await tx.orgs.byId(invitation.entity_id);
        if (!exists) throw new DomainError("NOT_FOUND", "the team or organisation of this invitation no longer exists");
        const roles = JSON.parse(invitation.roles) as string[];
        const live = (await tx.roles.byIds(invitation.entity_type, invitation.entity_id, roles)).map((r) => r.id);
        await tx.members.add(invitation.entity_type, invitation.entity_id, user.id, now().toISOString());
        await tx.members.setRoles(invitation.entity_type, invitation.entity_id, user.id, live);
        const joiner = { kind: "session" as const, userId: user.id, email: user.email, tokenId: null, grants: [], scope: null };
        const entity = { type: invitation.entity_type, id: invitation.entity_id };
        await record(tx, joiner, entity, "members.join", { type: "members", id: user.id }, { after: { email: user.email, roles: live } });
        return toUser(user);
      });
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
