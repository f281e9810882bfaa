import { compileAllowList, parseIp, type IpAllowList, type TokenCheckResult } from "@latchkey/core";
import { tokenKey } from "./hash.js";
import { readSse, type SseFrame } from "./sse-reader.js";

/** What `verify` answers: the `data` of `POST /v1/auth/check` (a cached answer carries no `ratelimit`). */
export type VerifyResult = TokenCheckResult;

export interface VerifierOptions {
  /** Latchkey's base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** This service's own Latchkey API token: its role must hold `team.apis.verify` (or `org.apis.verify`). */
  token: string;
  /** How long cached answers are still served after the event stream dropped (default 5000 ms). */
  graceMs?: number;
  /** How long a check call may take before verify fails closed (default 5000 ms). */
  timeoutMs?: number;
  /** How many answers are kept (default 10000; the oldest go first). */
  maxEntries?: number;
  fetch?: typeof fetch;
  /** The clock, in milliseconds (tests). */
  now?: () => number;
}

export interface VerifyOptions {
  /** Permissions the token must hold (custom API permissions or Latchkey's own), e.g. `["billing:invoices.read"]`. */
  permissions?: readonly string[];
  /**
   * The client's address (behind a proxy: the address the proxy reports, e.g. Express `req.ip` with `trust proxy`).
   * A token whose IP allow-list excludes it is `IP_NOT_ALLOWED`, on every call, cached answers included; an address
   * that does not parse matches no allow-list. Without it no address is checked.
   */
  ip?: string;
}

/** Latchkey could not answer (unreachable, 5xx, timed out) while the cache could not be trusted: fail closed (503). */
export class VerifierUnavailableError extends Error {
  readonly code = "VERIFIER_UNAVAILABLE";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "VerifierUnavailableError";
  }
}

/** Latchkey refused the question itself (this service's token is not accepted, or a permission name is unknown). */
export class VerifierRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "VerifierRequestError";
  }
}

export interface Verifier {
  verify(bearerToken: string, options?: VerifyOptions): Promise<VerifyResult>;
  /** Whether the event stream is connected (answers come from memory). */
  streaming(): boolean;
  close(): void;
}

interface Entry {
  result: VerifyResult;
  expiresAtMs: number;
  /** The token's allow-list, compiled once (undefined: any address). */
  allowList: IpAllowList | undefined;
  /** The answer for a client outside it, made once. */
  refusal: VerifyResult | undefined;
}

/** Longest token looked at: anything longer is not a Latchkey token (no network call). */
export const MAX_TOKEN_LENGTH = 8192;
const MAX_PERMISSIONS = 100;
const NOT_FOUND: VerifyResult = Object.freeze({ valid: false, code: "NOT_FOUND" });
const EXPIRED: VerifyResult = Object.freeze({ valid: false, code: "EXPIRED" });

/** The answer for a client outside the token's allow-list (as `POST /v1/auth/check` gives it: the token, no permissions). */
const ipRefusal = (result: VerifyResult): VerifyResult =>
  Object.freeze({ valid: false, code: "IP_NOT_ALLOWED", ...(result.token ? { token: result.token } : {}) });

/** An answer held to the client's address: Latchkey's answer, or IP_NOT_ALLOWED when the token's list excludes `ip`. */
const heldTo = (ip: string | undefined, result: VerifyResult, allowList: IpAllowList | undefined, refusal?: VerifyResult) =>
  ip === undefined || allowList === undefined || allowList.allows(ip) ? result : (refusal ?? ipRefusal(result));

/** The allow-list an answer carries (an answer from a server without allow-lists carries none). */
const allowListOf = (result: VerifyResult): IpAllowList | undefined => compileAllowList(result.token?.allowedIps ?? []);

/**
 * A verifier of Latchkey tokens inside another service (API.md "Event stream for verifiers in other processes"):
 * the first sight of a token asks `POST /v1/auth/check` (concurrent first sights share the call); then answers come
 * from memory, dropped as `GET /v1/auth/events` announces changes. While the stream is down for longer than
 * `graceMs`, every verify asks Latchkey; when Latchkey does not answer either, verify throws VerifierUnavailableError.
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const base = options.url.replace(/\/+$/, "");
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const now = options.now ?? Date.now;
  const graceMs = options.graceMs ?? 5000;
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxEntries = options.maxEntries ?? 10_000;
  const auth = `Bearer ${options.token}`;

  const cache = new Map<string, Entry>();
  const pending = new Map<string, Promise<VerifyResult>>();
  let up = false;
  /** When the stream was last known down (0: it is up). */
  let downSince = now();
  /** Bumped on every invalidation and every stream loss: an answer fetched across a bump is not cached. */
  let generation = 0;
  let lastEventId: string | undefined;
  let closed = false;
  let abort: AbortController | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let retryMs = 100;

  const dropAll = () => {
    generation++;
    cache.clear();
  };
  const dropWhere = (match: (r: VerifyResult) => boolean) => {
    generation++;
    for (const [key, entry] of cache) if (match(entry.result)) cache.delete(key);
  };

  const apply = (frame: SseFrame) => {
    if (frame.id !== undefined) lastEventId = frame.id;
    let data: { tokenId?: unknown; roleId?: unknown; entityType?: unknown; entityId?: unknown };
    try {
      data = JSON.parse(frame.data) as typeof data;
      if (!data || typeof data !== "object") throw new Error("not an object");
    } catch {
      return dropAll(); // what changed is unreadable: anything may have
    }
    switch (frame.event) {
      case "token.revoked":
      case "token.keys":
      case "token.updated":
        return dropWhere((r) => r.token?.id === data.tokenId);
      case "role.updated":
      case "role.deleted":
      case "api.updated":
        return dropWhere(
          (r) => r.token?.role.id === data.roleId && r.token?.entityType === data.entityType && r.token?.entityId === data.entityId,
        );
      case "member.removed":
        // Nothing kept depends on who is a member: a token whose creator left keeps working (its own role decides),
        // and answers are keyed by token, never by user.
        return;
      default:
        return dropAll(); // reset, signing-key.deleted, and whatever a newer server sends
    }
  };

  const lost = () => {
    if (up) {
      up = false;
      downSince = now();
    }
    generation++;
    if (closed) return;
    retryTimer = setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 2000);
  };

  function connect(): void {
    if (closed) return;
    const controller = new AbortController();
    abort = controller;
    const headers: Record<string, string> = { authorization: auth, accept: "text/event-stream" };
    if (lastEventId !== undefined) headers["last-event-id"] = lastEventId;
    void (async () => {
      try {
        const res = await doFetch(`${base}/v1/auth/events`, { headers, signal: controller.signal });
        if (res.status !== 200 || !res.body || !(res.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
          await res.body?.cancel().catch(() => undefined);
          throw new Error(`event stream answered ${res.status}`);
        }
        // Without an id to resume from, what changed before this moment is unknown: start empty.
        if (lastEventId === undefined) dropAll();
        up = true;
        retryMs = 100;
        await readSse(res.body, apply, () => undefined);
      } catch {
        // refused, unreachable, garbage or cut: reconnect below
      }
      if (abort === controller) lost();
    })();
  }

  const trusted = () => up || now() - downSince < graceMs;

  const ask = async (bearerToken: string, permissions: readonly string[], ip: string | undefined): Promise<VerifyResult> => {
    let res: Response;
    try {
      res = await doFetch(`${base}/v1/auth/check`, {
        method: "POST",
        headers: { authorization: auth, "content-type": "application/json" },
        // An address Latchkey would refuse as input (400) is not sent: it is held to the list here instead.
        body: JSON.stringify({ token: bearerToken, permissions, ...(ip !== undefined && parseIp(ip) ? { ip } : {}) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new VerifierUnavailableError(`Latchkey did not answer the check (${base}): ${(error as Error).message}`, { cause: error });
    }
    let body: { data?: VerifyResult; error?: { code?: string; message?: string } };
    try {
      body = (await res.json()) as typeof body;
    } catch (error) {
      throw new VerifierUnavailableError(`Latchkey answered ${res.status} without JSON`, { cause: error });
    }
    if (res.status >= 500 || res.status === 429) {
      throw new VerifierUnavailableError(`Latchkey answered ${res.status} ${body.error?.code ?? ""}`.trim());
    }
    if (res.status !== 200 || !body.data || typeof body.data.valid !== "boolean") {
      throw new VerifierRequestError(res.status, body.error?.code ?? "UNEXPECTED", body.error?.message ?? `check answered ${res.status}`);
    }
    return body.data;
  };

  const cacheable = (result: VerifyResult) => !!result.token && (result.code === "VALID" || result.code === "INSUFFICIENT_PERMISSIONS");
  const remember = (key: string, result: VerifyResult, allowList: IpAllowList | undefined) => {
    const { ratelimit: _live, ...kept } = result;
    const expiresAtMs = result.token?.expiresAt ? Date.parse(result.token.expiresAt) : Infinity;
    cache.set(key, { result: Object.freeze(kept), expiresAtMs, allowList, refusal: allowList ? ipRefusal(kept) : undefined });
    if (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
  };

  const verifier: Verifier = {
    verify(bearerToken, verifyOptions = {}) {
      if (closed) return Promise.reject(new VerifierUnavailableError("the verifier is closed"));
      if (typeof bearerToken !== "string" || bearerToken.length === 0 || bearerToken.length > MAX_TOKEN_LENGTH) {
        return Promise.resolve(NOT_FOUND);
      }
      const permissions = verifyOptions.permissions ?? [];
      const ip = verifyOptions.ip === undefined ? undefined : String(verifyOptions.ip);
      if (permissions.length > MAX_PERMISSIONS) {
        return Promise.reject(new VerifierRequestError(400, "VALIDATION_FAILED", `at most ${MAX_PERMISSIONS} permissions`));
      }
      const hash = tokenKey(bearerToken);
      const key = permissions.length === 0 ? hash : `${hash}\n${permissions.join("\n")}`;
      const useCache = trusted();
      if (useCache) {
        const entry = cache.get(key);
        if (entry) {
          if (entry.expiresAtMs !== Infinity && now() >= entry.expiresAtMs) {
            cache.delete(key);
            return Promise.resolve(EXPIRED);
          }
          // The allow-list is held from memory on every call, not only on first sight.
          return Promise.resolve(heldTo(ip, entry.result, entry.allowList, entry.refusal));
        }
      }
      // Concurrent first sights share a call only from the same address: Latchkey's answer depends on it.
      const callKey = ip === undefined ? key : `${key}\n@${ip}`;
      const shared = pending.get(callKey);
      if (shared) return shared;
      const startedAt = generation;
      const streamUp = up;
      const call = ask(bearerToken, permissions, ip)
        .then((result) => {
          if (!cacheable(result)) return result;
          const allowList = allowListOf(result);
          if (streamUp && up && generation === startedAt && !closed) remember(key, result, allowList);
          return heldTo(ip, result, allowList);
        })
        .finally(() => pending.delete(callKey));
      pending.set(callKey, call);
      return call;
    },
    streaming: () => up,
    close() {
      closed = true;
      up = false;
      clearTimeout(retryTimer);
      const controller = abort;
      abort = null;
      controller?.abort();
      cache.clear();
    },
  };
  connect();
  return verifier;
}
