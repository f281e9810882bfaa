import type { JSONWebKeySet } from "jose";

/** Why an issuer's keys could not be had; the message is safe to show to the caller. */
export class IssuerKeysError extends Error {}

export interface OidcKeyOptions {
  /** Each fetch (discovery document, JWKS) must finish within this. */
  timeoutMs: number;
  /** The most bytes either document may have. */
  maxBytes: number;
  /** How long keys are used without asking again. */
  cacheMs: number;
  /** The least time between two fetches for one issuer (an unknown `kid` asks again, at most this often). */
  refreshMinMs: number;
}

export const DEFAULT_OIDC_KEY_OPTIONS: OidcKeyOptions = {
  timeoutMs: 3000,
  maxBytes: 64 * 1024,
  cacheMs: 10 * 60_000,
  refreshMinMs: 60_000,
};

const MAX_KEYS = 50;
const ASYMMETRIC = new Set(["RSA", "EC", "OKP"]);

/** GETs a JSON document: no redirect followed, cut off at the size cap and the timeout. */
async function fetchJson(url: string, options: OidcKeyOptions): Promise<unknown> {
  let response: Response;
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    response = await fetch(url, { redirect: "error", signal, headers: { accept: "application/json" } });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    throw new IssuerKeysError(timedOut ? `${url} did not answer within ${options.timeoutMs} ms` : `${url} could not be fetched`);
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    throw new IssuerKeysError(`${url} answered ${response.status}`);
  }
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > options.maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new IssuerKeysError(`${url} is larger than ${options.maxBytes} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader: ReadableStreamDefaultReader<Uint8Array> | undefined = response.body?.getReader();
  try {
    for (let part = await reader?.read(); part && !part.done; part = await reader?.read()) {
      size += part.value.byteLength;
      if (size > options.maxBytes) throw new IssuerKeysError(`${url} is larger than ${options.maxBytes} bytes`);
      chunks.push(part.value);
    }
  } catch (error) {
    // Stops reading (and downloading) the rest of a document that is too large or too slow.
    await reader?.cancel().catch(() => undefined);
    if (error instanceof IssuerKeysError) throw error;
    throw new IssuerKeysError(`${url} did not answer within ${options.timeoutMs} ms`);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new IssuerKeysError(`${url} is not JSON`);
  }
}

/**
 * The public keys of OIDC issuers, from their discovery documents: fetched only for an issuer a trust policy names
 * (never from a URL a token carries), with a timeout and a size cap, cached, and fetched again when a token names a
 * key the cache lacks, at most once a `refreshMinMs` per issuer. The discovery document must name the issuer itself
 * and a `jwks_uri` of the issuer's own origin.
 */
export function createOidcKeys(options: OidcKeyOptions = DEFAULT_OIDC_KEY_OPTIONS, nowMs: () => number = Date.now) {
  const cache = new Map<string, { keys: JSONWebKeySet; fetchedAt: number }>();
  const inFlight = new Map<string, Promise<JSONWebKeySet>>();
  const lastFetch = new Map<string, number>();
  /** The last failure per issuer: repeated until `refreshMinMs` has passed, so a broken issuer is not hammered. */
  const failed = new Map<string, { error: IssuerKeysError; at: number }>();

  const load = async (issuer: string): Promise<JSONWebKeySet> => {
    lastFetch.set(issuer, nowMs());
    const doc = await fetchJson(`${issuer}/.well-known/openid-configuration`, options);
    if (typeof doc !== "object" || doc === null) throw new IssuerKeysError("the discovery document is not an object");
    const { issuer: named, jwks_uri: jwksUri } = doc as { issuer?: unknown; jwks_uri?: unknown };
    if (named !== issuer) throw new IssuerKeysError("the discovery document names another issuer");
    if (typeof jwksUri !== "string") throw new IssuerKeysError("the discovery document has no jwks_uri");
    let jwksUrl: URL;
    try {
      jwksUrl = new URL(jwksUri);
    } catch {
      throw new IssuerKeysError("the discovery document's jwks_uri is not a URL");
    }
    if (jwksUrl.origin !== new URL(issuer).origin)
      throw new IssuerKeysError("the discovery document's jwks_uri points away from the issuer");
    const jwks = await fetchJson(jwksUrl.href, options);
    const list = (jwks as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(list)) throw new IssuerKeysError("the JWKS has no keys");
    // Public keys only: a symmetric or private key published by mistake is never used.
    const keys = list
      .filter((k): k is Record<string, unknown> => typeof k === "object" && k !== null)
      .filter((k) => ASYMMETRIC.has(String(k["kty"])) && k["d"] === undefined)
      .slice(0, MAX_KEYS);
    const set: JSONWebKeySet = { keys };
    cache.set(issuer, { keys: set, fetchedAt: nowMs() });
    return set;
  };

  const fetchOnce = (issuer: string): Promise<JSONWebKeySet> => {
    const pending = inFlight.get(issuer);
    if (pending) return pending;
    const recent = failed.get(issuer);
    if (recent && nowMs() - recent.at < options.refreshMinMs) return Promise.reject(recent.error);
    const started = load(issuer)
      .then(
        (keys) => {
          failed.delete(issuer);
          return keys;
        },
        (error: unknown) => {
          const known = error instanceof IssuerKeysError ? error : new IssuerKeysError("the issuer's keys could not be read");
          failed.set(issuer, { error: known, at: nowMs() });
          if (failed.size > 10_000) failed.delete(failed.keys().next().value ?? "");
          throw known;
        },
      )
      .finally(() => inFlight.delete(issuer));
    inFlight.set(issuer, started);
    return started;
  };

  return {
    /** The issuer's keys, from the cache while fresh. */
    async keys(issuer: string): Promise<JSONWebKeySet> {
      const cached = cache.get(issuer);
      if (cached && nowMs() - cached.fetchedAt < options.cacheMs) return cached.keys;
      if (cached && nowMs() - (lastFetch.get(issuer) ?? 0) < options.refreshMinMs) return cached.keys;
      return fetchOnce(issuer);
    },
    /** Asks the issuer again (a token named a key we lack); null when it was asked too recently. */
    async refresh(issuer: string): Promise<JSONWebKeySet | null> {
      if (nowMs() - (lastFetch.get(issuer) ?? Number.NEGATIVE_INFINITY) < options.refreshMinMs) return null;
      return fetchOnce(issuer);
    },
  };
}

export type OidcKeys = ReturnType<typeof createOidcKeys>;
