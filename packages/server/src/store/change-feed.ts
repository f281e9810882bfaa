import pg from "pg";

/** What changed, for every process's caches. Small: NOTIFY payloads stay far below PostgreSQL's 8000 bytes. */
export type ChangeEvent =
  /** `kind` (for the event stream, API.md "Event stream for verifiers"): revoked, or a key added or deleted. */
  | { t: "token"; id: string; kind?: "revoked" | "keys"; entityType?: "team" | "org"; entityId?: string }
  /** `kind`: the role was deleted, or its apiScope changed because an API's permissions did. */
  | { t: "role"; entityType: "team" | "org"; entityId: string; roleId: string; kind?: "deleted" | "api" }
  | { t: "signing-keys" }
  /** A team's or organisation's settings that the verifier keeps (its rate limit) changed. */
  | { t: "limits"; entityType: "team" | "org"; entityId: string }
  /** A team's projects changed (lists kept in memory are dropped). */
  | { t: "projects"; teamId: string }
  /** A pending CLI login was approved or denied (`id` is the hash of its session token). */
  | { t: "cli-login"; id: string }
  /** A user's roles, memberships or sessions changed (a member removed, a role given, sign-out): their console
   * sessions and grants kept in memory are read again. `kind: "removed"`: they left this team or organisation
   * (the event stream's `member.removed`). */
  | { t: "user"; id: string; kind?: "removed"; entityType?: "team" | "org"; entityId?: string }
  /** Webhook messages were enqueued: delivery workers look for due ones now rather than at their next poll. */
  | { t: "webhooks" }
  /** Drop every cache: sent after a reconnect, and for rare wide changes (a team or organisation deleted). */
  | { t: "resync" };

/** The PostgreSQL channel every process listens on. */
export const CHANNEL = "latchkey_changes";

type Listener = (event: ChangeEvent) => void;

/**
 * Delivers change events to this process's caches. In-process on SQLite; on PostgreSQL one LISTEN connection per
 * process, reconnecting with backoff. While that connection is down `healthy` is false: callers must not trust
 * their caches then, and a `resync` is delivered once it is back.
 */
export interface ChangeFeed {
  subscribe(listener: Listener): () => void;
  /**
   * Each committed change exactly once, in commit order (the event stream for verifiers): on PostgreSQL as NOTIFY
   * delivers it, this process's own changes included; `subscribe` also gets this process's changes straight after commit.
   */
  subscribeCommitted(listener: Listener): () => void;
  /** Delivers events to this process (after their transaction committed). */
  emit(event: ChangeEvent): void;
  healthy(): boolean;
  close(): Promise<void>;
}

function createLocalFeed(): ChangeFeed & { listeners: Set<Listener> } {
  const listeners = new Set<Listener>();
  return {
    listeners,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    subscribeCommitted(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(event) {
      for (const l of listeners) l(event);
    },
    healthy: () => true,
    close: () => Promise.resolve(),
  };
}

/** The in-process feed (SQLite: one process owns the database). */
export function createInProcessFeed(): ChangeFeed {
  return createLocalFeed();
}

function parseEvent(payload: string | undefined): ChangeEvent {
  try {
    const value = JSON.parse(payload ?? "") as ChangeEvent;
    if (value && typeof value === "object" && typeof value.t === "string") return value;
  } catch {
    // an unreadable event: treat it as "anything may have changed"
  }
  return { t: "resync" };
}

/** The PostgreSQL feed: LISTEN on a dedicated connection, resync after every reconnect. */
export async function createPostgresFeed(
  url: string,
  /** `onLag`: milliseconds from an event's NOTIFY (its `at`) to its delivery here, for the metrics. */
  options: { onStateChange?: (healthy: boolean) => void; onLag?: (ms: number) => void } = {},
): Promise<ChangeFeed> {
  const local = createLocalFeed();
  const committed = new Set<Listener>();
  const deliver = (event: ChangeEvent) => {
    local.emit(event);
    for (const l of committed) l(event);
  };
  let client: pg.Client | null = null;
  let healthy = false;
  let closed = false;
  let retryMs = 50;

  const setHealthy = (value: boolean) => {
    if (healthy === value) return;
    healthy = value;
    options.onStateChange?.(value);
  };

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000, keepAlive: true, query_timeout: 5000 });
    // A connection can die without its socket closing: a heartbeat finds out within seconds, not hours.
    const heartbeat = setInterval(() => void c.query("select 1").catch(lost), 5000);
    heartbeat.unref();
    function lost() {
      clearInterval(heartbeat);
      if (client !== c) return;
      client = null;
      setHealthy(false);
      c.removeAllListeners();
      void c.end().catch(() => undefined);
      if (!closed) setTimeout(() => void reconnect(), retryMs);
    }
    c.on("error", lost);
    c.on("end", lost);
    c.on("notification", (n) => {
      if (n.channel !== CHANNEL) return;
      const event = parseEvent(n.payload);
      const at = (event as { at?: unknown }).at;
      if (options.onLag && typeof at === "number") options.onLag(Date.now() - at);
      deliver(event);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      clearInterval(heartbeat);
      throw error;
    }
    client = c;
    retryMs = 50;
    // Events sent while nobody listened are lost: forget everything cached before trusting caches again.
    deliver({ t: "resync" });
    setHealthy(true);
  };

  const reconnect = async (): Promise<void> => {
    if (closed || client) return;
    try {
      await connect();
    } catch {
      retryMs = Math.min(retryMs * 2, 2000);
      if (!closed) setTimeout(() => void reconnect(), retryMs);
    }
  };

  await connect();
  return {
    subscribe: (listener) => local.subscribe(listener),
    subscribeCommitted(listener) {
      committed.add(listener);
      return () => committed.delete(listener);
    },
    emit: (event) => local.emit(event),
    healthy: () => healthy,
    async close() {
      closed = true;
      const c = client;
      client = null;
      setHealthy(false);
      if (c) {
        c.emit("end");
        c.removeAllListeners();
        c.on("error", () => undefined);
        await c.end().catch(() => undefined);
      }
    },
  };
}
