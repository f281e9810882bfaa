import { createHmac, hkdfSync } from "node:crypto";
import { DomainError } from "@latchkey/core";
import type { Config } from "../config.js";
import type { Store } from "../store/store.js";
import { randomSecret, safeEqual, sha256 } from "../lib/secrets.js";
import { hashPassword, type PasswordChecks } from "../lib/passwords.js";
import type { Throttle } from "./throttle.js";
import { toUser, type User } from "./users.js";
import { grantsOfUser } from "../access/access.js";
import type { Grant } from "@latchkey/core";
import { createSessionCache } from "./session-cache.js";

/** A signed-in console session as the HTTP layer sees it. */
export interface ActiveSession {
  idHash: string;
  user: User;
  csrfHash: string;
}

/** Sign-in, sign-out and session lookup for the console. */
export function createSessionService(deps: {
  store: Store;
  config: Config;
  throttle: Throttle;
  passwords: PasswordChecks;
  now: () => Date;
}) {
  const { store, config, throttle, passwords, now } = deps;
  // A session's CSRF token is derived from its id under a key of the master key's: the console can read it again
  // (GET /v1/session) instead of keeping it in the browser's storage, and the store still keeps only its hash.
  const csrfKey = Buffer.from(hkdfSync("sha256", config.masterKey, "", "latchkey session csrf", 32));
  const csrfFor = (sessionId: string): string => createHmac("sha256", csrfKey).update(sessionId).digest("base64url");
  const cache = createSessionCache(store);
  /** A change to the user's sessions, on every process's cache once it commits. */
  const userChanged = (userId: string) => ({ t: "user" as const, id: userId });

  return {
    /** Checks e-mail and password; on success a new session (new id: sessions are never reused across sign-ins). */
    async signIn(email: string, password: string, ip: string): Promise<{ sessionId: string; csrfToken: string; user: User }> {
      const attempt = throttle.begin([`account:${email}`, `ip:${ip}`]);
      const user = await store.users.byEmail(email);
      const ok = await passwords.matches("sign_in", password, user?.password_hash);
      if (!user || !ok) throw new DomainError("UNAUTHENTICATED", "e-mail or password is wrong");
      throttle.succeeded(attempt);
      return { ...(await this.start(user.id)), user: toUser(user) };
    },

    /** Opens a session for a user who has just proved who they are. */
    async start(userId: string): Promise<{ sessionId: string; csrfToken: string }> {
      const sessionId = randomSecret(32);
      const csrfToken = csrfFor(sessionId);
      const at = now();
      await store.sessions.insert({
        id_hash: sha256(sessionId),
        user_id: userId,
        csrf_hash: sha256(csrfToken),
        created_at: at.toISOString(),
        last_seen_at: at.toISOString(),
        expires_at: new Date(at.getTime() + config.session.maxMs).toISOString(),
      });
      return { sessionId, csrfToken };
    },

    /**
     * The live session for a cookie value, or null when it is unknown, idle too long or past its absolute end. From
     * memory when this process knows it (session-cache.ts); a session that looks ended there is read again, since
     * another process may have seen it more recently.
     */
    async resolve(sessionId: string): Promise<ActiveSession | null> {
      const idHash = sha256(sessionId);
      const t = now().getTime();
      const known = cache.session(idHash);
      if (known && known.expiresAtMs > t && known.lastSeenAtMs + config.session.idleMs > t) {
        // Refresh the idle clock at most once a minute, not on every request.
        if (t - known.lastSeenAtMs > 60_000) {
          await store.sessions.touch(idHash, new Date(t).toISOString());
          known.lastSeenAtMs = t;
        }
        return { idHash, user: known.user, csrfHash: known.csrfHash };
      }
      if (known) cache.forgetSession(idHash);
      const since = cache.generation();
      const row = await store.sessions.byIdHash(idHash);
      if (!row) return null;
      if (Date.parse(row.expires_at) <= t || Date.parse(row.last_seen_at) + config.session.idleMs <= t) {
        await store.sessions.remove(idHash);
        return null;
      }
      const user = await store.users.byId(row.user_id);
      if (!user) return null;
      let lastSeenAtMs = Date.parse(row.last_seen_at);
      if (t - lastSeenAtMs > 60_000) {
        await store.sessions.touch(idHash, now().toISOString());
        lastSeenAtMs = t;
      }
      const session = { idHash, user: toUser(user), csrfHash: row.csrf_hash };
      cache.keepSession({ ...session, expiresAtMs: Date.parse(row.expires_at), lastSeenAtMs }, since);
      return session;
    },

    /** The grants of a signed-in user: from memory when known, kept true by the change feed. */
    async grantsOf(userId: string): Promise<Grant[]> {
      const known = cache.grants(userId);
      if (known) return known;
      const since = cache.generation();
      const grants = await grantsOfUser(store, userId);
      cache.keepGrants(userId, grants, since);
      return grants;
    },

    /** How much is kept in memory (tests). */
    cached: () => cache.size(),
    close: () => cache.close(),

    /**
     * Changes the signed-in person's password once they prove the current one. Every session of theirs ends (a thief
     * holding one is out); the caller gets a new session in their place. Wrong guesses count towards the same
     * throttle as failed sign-ins, so a stolen session cannot be used to guess the password.
     */
    async changePassword(
      session: ActiveSession,
      input: { currentPassword: string; newPassword: string },
      ip: string,
    ): Promise<{ sessionId: string; csrfToken: string }> {
      const attempt = throttle.begin([`account:${session.user.email}`, `ip:${ip}`]);
      const user = await store.users.byId(session.user.id);
      if (!user || !(await passwords.matches("password_change", input.currentPassword, user.password_hash))) {
        throw new DomainError("VALIDATION_FAILED", "the current password is wrong", { fields: { currentPassword: "is wrong" } });
      }
      throttle.succeeded(attempt);
      const passwordHash = await hashPassword(input.newPassword);
      await store.transaction(async (tx) => {
        await tx.users.setPassword(user.id, passwordHash, now().toISOString());
        await tx.sessions.removeForUser(user.id);
        await tx.publish(userChanged(user.id));
      });
      return this.start(user.id);
    },

    /**
     * The CSRF token of the session behind a cookie value, for the console to read on load; null for a session
     * whose token was not derived from its id (one opened by a version that drew it at random), which must sign in
     * again.
     */
    csrfTokenOf(session: ActiveSession, sessionId: string): string | null {
      const token = csrfFor(sessionId);
      return this.csrfMatches(session, token) ? token : null;
    },

    /** Whether the CSRF header matches the session's token. */
    csrfMatches(session: ActiveSession, header: string | undefined): boolean {
      return header !== undefined && header.length <= 256 && safeEqual(sha256(header), session.csrfHash);
    },

    async signOut(session: ActiveSession): Promise<void> {
      await store.transaction(async (tx) => {
        await tx.sessions.remove(session.idHash);
        await tx.publish(userChanged(session.user.id));
      });
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
