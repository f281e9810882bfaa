import { randomBytes } from "node:crypto";
import type { AuthEvent } from "@latchkey/core";
import type { TokenOwner } from "../access/token-reach.js";
import type { ChangeEvent } from "../store/change-feed.js";
import type { Store } from "../store/store.js";

/** One event of `GET /v1/auth/events`, with whose tokens it concerns (null: every verifier's). */
export interface StreamedEvent {
  id: string;
  seq: number;
  event: AuthEvent;
  owner: TokenOwner | null;
}

type Listener = (event: StreamedEvent) => void;

/** How many events a reconnecting verifier can catch up on before it is told to `reset`. */
export const RING_SIZE = 1024;

/**
 * The change feed, as verifiers in other processes need it (API.md "Event stream for verifiers in other processes"):
 * each change that can alter a token decision, with the team or organisation it concerns, numbered, and kept in a
 * bounded ring for `Last-Event-ID` resumes. Ids are `<boot>.<seq>`: an id of another process or run cannot resume.
 */
export function createAuthEvents(store: Store) {
  const boot = randomBytes(6).toString("base64url");
  let seq = 0;
  const ring: StreamedEvent[] = [];
  const listeners = new Set<Listener>();
  // Lookups are asynchronous; the chain keeps events in the order they committed.
  let chain: Promise<void> = Promise.resolve();

  const push = (event: AuthEvent, owner: TokenOwner | null) => {
    seq += 1;
    const streamed = { id: `${boot}.${seq}`, seq, event, owner };
    ring.push(streamed);
    if (ring.length > RING_SIZE) ring.shift();
    for (const l of listeners) l(streamed);
  };

  // A team's organisation, kept (bounded) so that an event costs no read; forgotten on every resync.
  const orgOfTeam = new Map<string, string | null>();
  const teamOwner = async (teamId: string): Promise<TokenOwner> => {
    let orgId = orgOfTeam.get(teamId);
    if (orgId === undefined) {
      orgId = (await store.teams.byId(teamId))?.org_id ?? null;
      if (orgOfTeam.size < 10_000) orgOfTeam.set(teamId, orgId);
    }
    return { entityType: "team", entityId: teamId, orgId };
  };
  const ownerOf = (entityType: "team" | "org", entityId: string): Promise<TokenOwner> | TokenOwner =>
    entityType === "org" ? { entityType, entityId, orgId: entityId } : teamOwner(entityId);

  const translate = async (change: ChangeEvent): Promise<void> => {
    switch (change.t) {
      case "token": {
        let entity = change.entityType && change.entityId ? { type: change.entityType, id: change.entityId } : undefined;
        if (!entity) {
          const row = await store.tokens.byId(change.id);
          if (!row) return;
          entity = { type: row.entity_type, id: row.entity_id };
        }
        const owner = await ownerOf(entity.type, entity.id);
        const type = change.kind === "revoked" ? "token.revoked" : change.kind === "keys" ? "token.keys" : "token.updated";
        push({ type, tokenId: change.id, entityType: owner.entityType, entityId: owner.entityId }, owner);
        return;
      }
      case "role": {
        const owner = await ownerOf(change.entityType, change.entityId);
        const type = change.kind === "deleted" ? "role.deleted" : change.kind === "api" ? "api.updated" : "role.updated";
        push({ type, roleId: change.roleId, entityType: owner.entityType, entityId: owner.entityId }, owner);
        return;
      }
      case "user": {
        // Only a departure is streamed: a role given or taken is a session matter (the member's tokens have their own role).
        if (change.kind !== "removed" || !change.entityType || !change.entityId) return;
        const owner = await ownerOf(change.entityType, change.entityId);
        push({ type: "member.removed", userId: change.id, entityType: owner.entityType, entityId: owner.entityId }, owner);
        return;
      }
      case "signing-keys":
        push({ type: "signing-key.deleted" }, null);
        return;
      case "resync":
        orgOfTeam.clear();
        push({ type: "reset" }, null);
        return;
      default:
        return;
    }
  };

  const unsubscribe = store.feed.subscribeCommitted((change) => {
    // A lookup that fails leaves the verifiers unsure of what changed: they drop everything.
    chain = chain.then(() => translate(change)).catch(() => push({ type: "reset" }, null));
  });

  return {
    /** The id of the newest event (what a `reset` carries, so that the next resume starts there). */
    lastId: (): string => `${boot}.${seq}`,
    /** The events after `lastId`, or null when they cannot all be given (another process or run, or too old). */
    since(lastId: string): StreamedEvent[] | null {
      const dot = lastId.lastIndexOf(".");
      const after = Number(lastId.slice(dot + 1));
      if (dot < 0 || lastId.slice(0, dot) !== boot || !Number.isSafeInteger(after) || after < 0 || after > seq) return null;
      const oldest = ring[0]?.seq ?? seq + 1;
      if (after < oldest - 1) return null;
      return ring.filter((e) => e.seq > after);
    },
    subscribe(listener: Listener): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** How many streams are open in this process. */
    streams: (): number => listeners.size,
    /** Waits for the events of changes already delivered (tests). */
    settled: (): Promise<void> => chain,
    close(): void {
      unsubscribe();
      listeners.clear();
    },
  };
}

export type AuthEvents = ReturnType<typeof createAuthEvents>;
