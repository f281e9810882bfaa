import type { Grant } from "@latchkey/core";
import type { ChangeEvent } from "../store/change-feed.js";
import type { Store } from "../store/store.js";
import type { User } from "./users.js";

/** A console session as kept in memory: what `resolve` needs to answer without the database. */
export interface CachedSession {
  idHash: string;
  user: User;
  csrfHash: string;
  expiresAtMs: number;
  lastSeenAtMs: number;
}

const MAX_SESSIONS = 10_000;
const MAX_USERS = 10_000;

/**
 * Console sessions and their users' grants, kept in memory and kept true by the change feed, as the verifier keeps
 * tokens: a `user` event (their roles, memberships or sessions changed: a member removed, a role given, sign-out, a
 * password change) drops that user's sessions and grants, a `role` event (a role's permissions edited or the role
 * deleted) every user's grants, `resync` everything. A read that overlapped an event is not kept (the generation
 * moved), and while the feed is down (PostgreSQL LISTEN lost) nothing is trusted: every request reads the database.
 */
export function createSessionCache(store: Store) {
  const sessions = new Map<string, CachedSession>();
  const grants = new Map<string, Grant[]>();
  let generation = 0;

  const onChange = (event: ChangeEvent) => {
    if (event.t === "user") {
      generation++;
      grants.delete(event.id);
      for (const [idHash, s] of sessions) if (s.user.id === event.id) sessions.delete(idHash);
    } else if (event.t === "role") {
      generation++;
      grants.clear();
    } else if (event.t === "resync") {
      generation++;
      grants.clear();
      sessions.clear();
    }
  };
  const unsubscribe = store.feed.subscribe(onChange);
  const trusted = () => store.feed.healthy();
  const keep = <V>(map: Map<string, V>, max: number, key: string, value: V) => {
    if (map.size >= max && !map.has(key)) map.delete(map.keys().next().value ?? "");
    map.set(key, value);
  };

  return {
    /** The generation to hand back to `keepSession`/`keepGrants`: taken before the database read. */
    generation: () => generation,
    session: (idHash: string): CachedSession | undefined => (trusted() ? sessions.get(idHash) : undefined),
    keepSession(session: CachedSession, since: number): void {
      if (trusted() && since === generation) keep(sessions, MAX_SESSIONS, session.idHash, session);
    },
    forgetSession: (idHash: string) => sessions.delete(idHash),
    grants: (userId: string): Grant[] | undefined => (trusted() ? grants.get(userId) : undefined),
    keepGrants(userId: string, value: Grant[], since: number): void {
      if (trusted() && since === generation) keep(grants, MAX_USERS, userId, value);
    },
    size: () => ({ sessions: sessions.size, users: grants.size }),
    close: () => void unsubscribe(),
  };
}

export type SessionCache = ReturnType<typeof createSessionCache>;
