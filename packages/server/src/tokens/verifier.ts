import { compileAllowList, DomainError, type Grant, type IpAllowList } from "@latchkey/core";
import { TokenRefusal } from "../access/refusal.js";
import type { Config } from "../config.js";
import { grantOf, type Principal, type TokenIdentity } from "../access/principal.js";
import { safeEqual, sha256HexOf, sha256Key } from "../lib/secrets.js";
import type { ChangeEvent } from "../store/change-feed.js";
import type { Store } from "../store/store.js";
import { splitToken, verifyJwt } from "./jwt.js";
import type { LastUsed } from "./last-used.js";
import type { SigningKeys } from "./signing-keys.js";
import type { Issuer } from "./issuer.js";

/** What the verifier remembers of one token: enough to decide without the database. */
interface TokenSnapshot {
  id: string;
  entityType: "team" | "org";
  entityId: string;
  roleKey: string;
  roleId: string;
  orgId: string | null;
  /** Its team's or organisation's own limit; null: the server's default. */
  rateLimitPerHour: number | null;
  creatorId: string;
  creatorEmail: string;
  expiresAtMs: number | null;
  revoked: boolean;
  /** Its IP allow-list, compiled once here; undefined: any address. */
  allowList: IpAllowList | undefined;
  keys: Map<string, KeySnapshot>;
  identity: TokenIdentity;
  /** The principal's scope, shared by every request of the token (never changed by its readers). */
  scope: { entityType: "team" | "org"; entityId: string };
}

interface KeySnapshot {
  hash: string;
  expiresAtMs: number | null;
  revoked: boolean;
}

/**
 * A token string already verified: its SHA-256 (`sha256Key`, the map's key) maps to the token and key it names, and
 * when the JWT expires.
 */
interface Verified {
  tokenId: string;
  keyId: string;
  expMs: number | null;
  /** The key snapshot this token string's hash was last found equal to (compared in constant time once per snapshot). */
  matched?: object;
  /**
   * What the caches held for this entry when the verifier's generation was `generation`: while no invalidation has
   * come since (each bumps the generation), they hold the same, and a request skips the three lookups.
   */
  seen?: Seen;
}

interface Seen {
  generation: number;
  t: TokenSnapshot;
  grant: Grant | null | undefined;
  /** `[grant]`, shared by the requests of this entry until the next invalidation. */
  grants: Grant[];
}

const MAX_VERIFIED = 100_000;

const refOf = (t: TokenSnapshot, keyId: string) => ({
  id: t.id,
  entityType: t.entityType,
  entityId: t.entityId,
  email: t.creatorEmail,
  keyId,
});
const ended = (end: number | null, nowMs: number) => end !== null && nowMs >= end;
const ms = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));
/** A stored allow-list; unreadable JSON allows nothing rather than everything. */
const allowedIpsOf = (json: string): string[] => {
  try {
    const list: unknown = JSON.parse(json);
    return Array.isArray(list) ? list.map(String) : ["0.0.0.0/32"];
  } catch {
    return ["0.0.0.0/32"];
  }
};
const roleKeyOf = (entityType: string, entityId: string, roleId: string) => `${entityType}:${entityId}:${roleId}`;

/**
 * The hot path. A token seen before costs one SHA-256 and a few map lookups: no database query, no signature check.
 * Caches are dropped by the change feed; while the feed is down nothing is cached and every check reads the store.
 */
export function createVerifier(deps: {
  store: Store;
  keys: SigningKeys;
  lastUsed: LastUsed;
  config: Config;
  nowMs: () => number;
  issuer: Issuer;
}) {
  const { store, keys, lastUsed, config, nowMs, issuer } = deps;
  const defaultRateLimit = config.rateLimit.perHour;
  const verified = new Map<string, Verified>();
  const tokens = new Map<string, TokenSnapshot>();
  const roles = new Map<string, Grant | null>();
  // Bumped by every invalidation: a snapshot read before one may be stale and is not kept.
  let generation = 0;

  // Events for other caches (projects, CLI logins) share the feed; they neither empty nor invalidate these.
  const OURS = new Set<ChangeEvent["t"]>(["token", "role", "signing-keys", "limits", "resync"]);
  const onChange = (event: ChangeEvent) => {
    if (!OURS.has(event.t)) return;
    generation++;
    if (event.t === "token") tokens.delete(event.id);
    else if (event.t === "role") roles.delete(roleKeyOf(event.entityType, event.entityId, event.roleId));
    else if (event.t === "signing-keys") void keys.reload();
    else if (event.t === "limits") {
      for (const [id, t] of tokens) if (t.entityType === event.entityType && t.entityId === event.entityId) tokens.delete(id);
    } else if (event.t === "resync") {
      verified.clear();
      tokens.clear();
      roles.clear();
    }
  };
  const unsubscribe = store.feed.subscribe(onChange);

  const loadToken = async (id: string): Promise<TokenSnapshot | null> => {
    const row = await store.tokens.byId(id);
    if (!row) return null;
    const keyRows = await store.tokens.keysOf([id]);
    const team = row.entity_type === "team" ? await store.teams.byId(row.entity_id) : undefined;
    const org = row.entity_type === "org" ? await store.orgs.byId(row.entity_id) : undefined;
    const orgId = row.entity_type === "org" ? row.entity_id : (team?.org_id ?? null);
    const own = (team ?? org)?.rate_limit_per_hour ?? null;
    return {
      id,
      entityType: row.entity_type,
      entityId: row.entity_id,
      roleId: row.role_id,
      roleKey: roleKeyOf(row.entity_type, row.entity_id, row.role_id),
      orgId,
      // A limit stored before the ceiling existed (or above a ceiling since lowered) is held to it.
      rateLimitPerHour: own === null ? null : Math.min(own, config.rateLimit.maxPerHour),
      creatorId: row.creator_id,
      creatorEmail: row.creator_email,
      expiresAtMs: ms(row.expires_at),
      revoked: row.revoked_at !== null,
      allowList: compileAllowList(allowedIpsOf(row.allowed_ips)),
      keys: new Map(keyRows.map((k) => [k.id, { hash: k.secret_hash, expiresAtMs: ms(k.expires_at), revoked: k.revoked_at !== null }])),
      identity: { name: row.name, roleId: row.role_id, entity: `${row.entity_type}:${row.entity_id}`, orgId, expiresAt: row.expires_at },
      scope: { entityType: row.entity_type, entityId: row.entity_id },
    };
  };

  const loadRole = async (t: TokenSnapshot): Promise<Grant | null> => {
    const row = await store.roles.byId(t.entityType, t.entityId, t.roleId);
    return row ? grantOf(row, t.orgId) : null;
  };

  /**
   * Decides on a token from its snapshot and role; throws the 401 that fits. `grants`: `[grant]` made before, or
   * undefined to make it.
   */
  const decide = (
    hash: string,
    v: Verified,
    t: TokenSnapshot | null,
    grant: Grant | null | undefined,
    nowMs: number,
    grants?: Grant[],
  ): Principal => {
    const key = t?.keys.get(v.keyId);
    if (!t || !key) throw new DomainError("TOKEN_INVALID", "token is not valid");
    if (v.matched !== key) {
      if (!safeEqual(key.hash, sha256HexOf(hash))) throw new DomainError("TOKEN_INVALID", "token is not valid");
      v.matched = key;
    }
    if (t.revoked || key.revoked || grant === null) throw new TokenRefusal("TOKEN_REVOKED", "token has been revoked", refOf(t, v.keyId));
    if (ended(v.expMs, nowMs) || ended(t.expiresAtMs, nowMs) || ended(key.expiresAtMs, nowMs)) {
      throw new TokenRefusal("TOKEN_EXPIRED", "token has expired", refOf(t, v.keyId));
    }
    if (grant === undefined) throw new DomainError("TOKEN_INVALID", "token is not valid");
    const principal: Principal = {
      kind: "api",
      userId: t.creatorId,
      email: t.creatorEmail,
      tokenId: t.id,
      keyId: v.keyId,
      grants: grants ?? [grant],
      scope: t.scope,
      rateLimitPerHour: t.rateLimitPerHour ?? defaultRateLimit,
      token: t.identity,
    };
    // Set, not spread: this runs on every request of a known token (an object spread costs more than the rest).
    if (t.allowList) principal.allowList = t.allowList;
    return principal;
  };

  /** Verifies the JWT; a kid this process does not know yet may belong to a key another process just made. */
  const verifyWithReload = async (token: string) => {
    const expected = issuer.claims();
    try {
      return verifyJwt(token, keys.knownPublicKey, expected);
    } catch (error) {
      const { kid } = splitToken(token);
      if (keys.knownPublicKey(kid) || !(await keys.publicKey(kid))) throw error;
      return verifyJwt(token, keys.knownPublicKey, expected);
    }
  };

  /** The decision for a token hash from memory alone; undefined when the slow path is needed. */
  const fromMemory = (hash: string, ip: string): Principal | undefined => {
    if (!store.feed.healthy()) return undefined;
    const v = verified.get(hash);
    if (!v) return undefined;
    let seen = v.seen;
    if (seen === undefined || seen.generation !== generation) {
      const t = tokens.get(v.tokenId);
      if (!t) return undefined;
      const grant = roles.get(t.roleKey);
      if (grant === undefined && !t.revoked) return undefined;
      seen = v.seen = { generation, t, grant, grants: grant ? [grant] : [] };
    }
    const atMs = nowMs();
    const principal = decide(hash, v, seen.t, seen.grant, atMs, seen.grants);
    lastUsed.record(seen.t.id, atMs, ip);
    return principal;
  };

  /** Full check: signature (first time), then token, key and role from the store, cached when the feed is healthy. */
  const lookUp = async (token: string, hash: string, ip: string): Promise<Principal> => {
    const trusted = store.feed.healthy();
    const startGeneration = generation;
    let v = trusted ? verified.get(hash) : undefined;
    if (!v) {
      const claims = await verifyWithReload(token);
      // Every field from the start: one shape for every entry (fields added later would make the hot path's reads polymorphic).
      v = {
        tokenId: claims.sub,
        keyId: claims.jti,
        expMs: claims.exp === undefined ? null : claims.exp * 1000,
        matched: undefined,
        seen: undefined,
      };
    }
    const t = (trusted ? tokens.get(v.tokenId) : undefined) ?? (await loadToken(v.tokenId));
    const grant = t ? ((trusted ? roles.get(t.roleKey) : undefined) ?? (await loadRole(t))) : undefined;
    // Cache before deciding, so that a revoked or expired token is refused from memory next time too.
    if (t && trusted && generation === startGeneration && store.feed.healthy()) {
      if (verified.size >= MAX_VERIFIED) verified.delete(verified.keys().next().value ?? "");
      verified.set(hash, v);
      tokens.set(t.id, t);
      roles.set(t.roleKey, grant ?? null);
    }
    const atMs = nowMs();
    const principal = decide(hash, v, t, grant, atMs);
    lastUsed.record(v.tokenId, atMs, ip);
    return principal;
  };

  return {
    /** The principal for a token seen before, from memory alone; undefined when the slow path is needed. */
    cached(token: string, ip: string): Principal | undefined {
      return fromMemory(sha256Key(token), ip);
    },

    /**
     * The principal for a token: a token this process has seen is answered from memory at once, without a promise (most
     * requests are served so); any other is looked up.
     */
    authenticate(token: string, ip: string): Principal | Promise<Principal> {
      const hash = sha256Key(token);
      return fromMemory(hash, ip) ?? lookUp(token, hash, ip);
    },

    /** How much is cached (for tests and metrics). */
    size: () => ({ verified: verified.size, tokens: tokens.size, roles: roles.size }),
    close: unsubscribe,
  };
}

export type Verifier = ReturnType<typeof createVerifier>;
