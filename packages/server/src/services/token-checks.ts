import { DomainError } from "@latchkey/core";
import type { AuditService } from "../audit/service.js";
import { ipAllowed } from "../access/ip-allow-list.js";
import type { PermissionNames } from "../access/permission-names.js";
import type { Principal } from "../access/principal.js";
import { TokenRefusal } from "../access/refusal.js";
import type { RequestContext } from "../access/request-context.js";
import { assertVerifies, verifiesTokensOf, type TokenOwner } from "../access/token-reach.js";
import type { RateDecision } from "../store/rate-counter.js";
import type { Store } from "../store/store.js";
import type { Verifier } from "../tokens/verifier.js";
import type { Metrics } from "../lib/metrics.js";
import { splitToken, type TokenClaims } from "../tokens/jwt.js";
import type { RateLimits } from "./rate-limits.js";

/** What a check says of a token (API.md "Checking tokens for other services"). */
export type CheckCode = "VALID" | "NOT_FOUND" | "EXPIRED" | "REVOKED" | "INSUFFICIENT_PERMISSIONS" | "RATE_LIMITED" | "IP_NOT_ALLOWED";

/** The HTTP status forward auth would answer each code with: a check's event carries it, so its outcome reads alike. */
const STATUS: Record<CheckCode, number> = {
  VALID: 200,
  NOT_FOUND: 401,
  EXPIRED: 401,
  REVOKED: 401,
  INSUFFICIENT_PERMISSIONS: 403,
  RATE_LIMITED: 429,
  IP_NOT_ALLOWED: 403,
};

/** A check's answer; `principal` (the checked token, when valid) is for introspection and never leaves the server. */
export interface CheckResult {
  valid: boolean;
  code: CheckCode;
  token?: {
    id: string;
    name: string;
    entityType: "team" | "org";
    entityId: string;
    orgId?: string;
    role: { id: string; name: string; type: "team" | "org" };
    expiresAt: string | null;
    allowedIps: string[];
  };
  permissions?: string[];
  missing?: string[];
  ratelimit?: { limit: number; remaining: number; reset: number };
}

/** The door a decision came through, and the event type it is recorded under in the checked token's feed. */
export type Door = "forward" | "check" | "introspect";

/** The claims of a token the verifier has just accepted (its signature was checked then), for introspection. */
export const claimsOf = (token: string): TokenClaims =>
  JSON.parse(Buffer.from(splitToken(token).payload, "base64url").toString("utf8")) as TokenClaims;

const ratelimitOf = (d: RateDecision) => ({ limit: d.limit, remaining: d.remaining, reset: Math.ceil(d.resetMs / 1000) });

/** Throws 400 naming every name the scope does not know (asked only about names the token does not hold). */
async function assertKnown(names: PermissionNames, principal: Principal, asked: readonly string[]): Promise<void> {
  const scope = principal.scope;
  if (!scope || asked.length === 0) return;
  const { unknown } = await names.resolve({ type: scope.entityType, id: scope.entityId, orgId: principal.token?.orgId ?? null }, asked);
  if (unknown.length > 0) {
    throw new DomainError("VALIDATION_FAILED", `unknown permission(s): ${unknown.join(", ")}`, {
      fields: { permissions: "unknown" },
      unknown,
    });
  }
}

/**
 * The one decision behind the three doors. A token is authenticated by the verifier (memory first), counted by the
 * same rate limits and recorded in its own audit feed, as on Latchkey's own routes; `names` decides what the
 * permissions asked mean (the seam for custom APIs).
 */
export function createTokenChecks(deps: {
  store: Store;
  verifier: Verifier;
  rateLimits: RateLimits;
  audit: AuditService;
  names: PermissionNames;
  /** Counts each check's and introspection's answer by door and outcome (forward auth is counted by its reply). */
  metrics?: Metrics | null;
}) {
  const { store, verifier, rateLimits, audit, names, metrics } = deps;

  // Role names for check's reply, dropped with any role change (and not kept while the feed is down).
  const roleNames = new Map<string, string>();
  const unsubscribe = store.feed.subscribe((event) => {
    if (event.t === "role" || event.t === "resync") roleNames.clear();
  });
  const roleName = async (owner: TokenOwner, roleId: string): Promise<string> => {
    const key = `${owner.entityType}:${owner.entityId}:${roleId}`;
    const cached = roleNames.get(key);
    if (cached !== undefined) return cached;
    const name = (await store.roles.byId(owner.entityType, owner.entityId, roleId))?.name ?? roleId;
    if (store.feed.healthy() && roleNames.size < 10_000) roleNames.set(key, name);
    return name;
  };

  /** The owner of a refused token: the refusal names its entity; a team's organisation is read (the slow path only). */
  const ownerOfRefused = async (ref: TokenRefusal["token"]): Promise<TokenOwner> => {
    if (ref.entityType === "org") return { entityType: "org", entityId: ref.entityId, orgId: ref.entityId };
    const team = await store.teams.byId(ref.entityId);
    return { entityType: "team", entityId: ref.entityId, orgId: team?.org_id ?? null };
  };

  /** Records one check in the checked token's feed; 503 when the audit log cannot take it. */
  const record = (
    door: Door,
    token: TokenRefusal["token"],
    context: RequestContext,
    code: CheckCode,
    asked: readonly string[],
    caller: Principal,
    clientIp: string | undefined,
  ) => {
    if (!audit.buffer.reserve()) throw new DomainError("AUDIT_UNAVAILABLE", "the audit log cannot take events now; retry shortly");
    const by = caller.kind === "api" ? { type: "apiToken", id: caller.tokenId } : { type: "user", id: caller.userId };
    audit.buffer.record(
      audit.requestDraft({
        tokenId: token.id,
        entityType: token.entityType,
        entityId: token.entityId,
        email: token.email,
        context,
        status: STATUS[code],
        durationMs: 0,
        resource: { type: "apiTokens", id: token.id },
        eventType: `auth.${door}`,
        details: JSON.stringify({
          door,
          code,
          permissions: asked,
          checkedBy: by,
          ...(clientIp === undefined ? {} : { clientIp }),
          ...(token.keyId ? { keyId: token.keyId } : {}),
        }),
      }),
    );
  };

  const checks = {
    /**
     * Forward auth, after the credential was admitted like any route's: 400 naming unknown names, 403 naming the first
     * permission the token lacks (all of them in `details.missing`).
     */
    require(principal: Principal, asked: readonly string[]): void | Promise<void> {
      if (asked.length === 0) return;
      const missing = asked.filter((name) => !names.grants(principal, name));
      if (missing.length === 0) return;
      return assertKnown(names, principal, missing).then(() => {
        throw new DomainError("FORBIDDEN", `missing permission ${missing[0]}`, { permission: missing[0], missing });
      });
    },

    /**
     * Check and introspection: what `token` may do, asked by `caller` (who holds `apis.verify` where the token
     * belongs). A token outside the caller's reach is NOT_FOUND whatever its state, and is not recorded in its feed.
     * `clientIp`, the address the caller's own client came from, is held to the token's allow-list (IP_NOT_ALLOWED)
     * and becomes its last-used address; without it no address is checked.
     */
    async check(
      caller: Principal,
      token: string,
      asked: readonly string[],
      door: Exclude<Door, "forward">,
      clientIp?: string,
    ): Promise<CheckResult & { principal?: Principal }> {
      assertVerifies(caller);
      const context = caller.context ?? { ip: "", userAgent: "", origin: "api" as const, method: "POST", path: "" };
      let checked: Principal;
      try {
        const pending = verifier.authenticate(token, clientIp ?? context.ip);
        checked = pending instanceof Promise ? await pending : pending;
      } catch (error) {
        if (!(error instanceof TokenRefusal)) return { valid: false, code: "NOT_FOUND" };
        if (!verifiesTokensOf(caller, await ownerOfRefused(error.token))) return { valid: false, code: "NOT_FOUND" };
        const code = error.code === "TOKEN_EXPIRED" ? "EXPIRED" : error.code === "TOKEN_REVOKED" ? "REVOKED" : "NOT_FOUND";
        record(door, error.token, context, code, asked, caller, clientIp);
        return { valid: false, code };
      }
      const scope = checked.scope;
      const identity = checked.token;
      if (!scope || !identity || !checked.tokenId) return { valid: false, code: "NOT_FOUND" };
      const owner: TokenOwner = { entityType: scope.entityType, entityId: scope.entityId, orgId: identity.orgId };
      if (!verifiesTokensOf(caller, owner)) return { valid: false, code: "NOT_FOUND" };
      const missing = asked.filter((name) => !names.grants(checked, name));
      await assertKnown(names, checked, missing);
      const ref = {
        id: checked.tokenId,
        entityType: scope.entityType,
        entityId: scope.entityId,
        email: checked.email,
        ...(checked.keyId ? { keyId: checked.keyId } : {}),
      };
      const about: NonNullable<CheckResult["token"]> = {
        id: checked.tokenId,
        name: identity.name,
        entityType: scope.entityType,
        entityId: scope.entityId,
        ...(identity.orgId ? { orgId: identity.orgId } : {}),
        role: { id: identity.roleId, name: await roleName(owner, identity.roleId), type: scope.entityType },
        expiresAt: identity.expiresAt,
        allowedIps: checked.allowList ? [...checked.allowList.cidrs] : [],
      };
      // Refused from its address before it takes a share of the token's rate limit, as on Latchkey's own routes.
      if (clientIp !== undefined && !ipAllowed(checked, clientIp)) {
        record(door, ref, context, "IP_NOT_ALLOWED", asked, caller, clientIp);
        return { valid: false, code: "IP_NOT_ALLOWED", token: about };
      }
      const answer: CheckResult = { valid: false, code: "VALID", token: about, permissions: names.apiScope(checked) };
      const rate = rateLimits.take(checked);
      if (rate) answer.ratelimit = ratelimitOf(rate);
      if (rate && !rate.allowed) answer.code = "RATE_LIMITED";
      else if (missing.length > 0) {
        answer.code = "INSUFFICIENT_PERMISSIONS";
        answer.missing = missing;
      }
      answer.valid = answer.code === "VALID";
      record(door, ref, context, answer.code, asked, caller, clientIp);
      return { ...answer, principal: checked };
    },

    close: unsubscribe,
  };
  return {
    ...checks,
    /** `check`, its answer counted into the metrics by door and outcome. */
    async check(...args: Parameters<typeof checks.check>): ReturnType<typeof checks.check> {
      const result = await checks.check(...args);
      metrics?.decision(args[3], STATUS[result.code]);
      return result;
    },
  };
}

export type TokenChecks = ReturnType<typeof createTokenChecks>;
