import { hkdfSync, randomInt } from "node:crypto";
import { DomainError } from "@latchkey/core";
import type { Config } from "../config.js";
import type { RequestContext } from "../access/request-context.js";
import type { Principal } from "../access/principal.js";
import { authorizeEntity, refuseTokens } from "../access/access.js";
import type { DeviceAuthorizationRow } from "../store/repositories/device-authorizations.js";
import type { Store } from "../store/store.js";
import { open, seal } from "../lib/sealed.js";
import { randomSecret, sha256 } from "../lib/secrets.js";
import { OAuthRefusal } from "./oauth-error.js";
import type { TokenService } from "./tokens.js";

/** RFC 8628 section 6.1: no vowels (no words), no look-alikes; 20^8 codes. */
const USER_CODE_LETTERS = "BCDFGHJKLMNPQRSTVWXZ";
const EXPIRES_SECONDS = 600;
const INTERVAL_SECONDS = 5;
const MAX_PENDING = 10_000;
/** Requests one address may start per ten minutes: a flood from one place cannot fill the table for everyone. */
const MAX_STARTS_PER_ADDRESS = 30;
/** Wrong user codes a person may type per quarter hour, and all the people behind one address (a shared NAT). */
const MAX_USER_CODE_FAILURES = 10;
const MAX_ADDRESS_FAILURES = 50;
const FAILURE_WINDOW_MS = 15 * 60_000;

/**
 * The approver never sees the device code, so the token is sealed under the master key, bound to the request: a copy
 * of the table alone reveals nothing.
 */
const sealKey = (masterKey: Buffer, deviceCodeHash: string): Buffer =>
  Buffer.from(hkdfSync("sha256", masterKey, deviceCodeHash, "latchkey device token", 32));
const newUserCode = (): string => Array.from({ length: 8 }, () => USER_CODE_LETTERS[randomInt(USER_CODE_LETTERS.length)]).join("");
/** `BCDFGHJK` as people read it: `BCDF-GHJK`. */
export const displayUserCode = (code: string): string => `${code.slice(0, 4)}-${code.slice(4)}`;

/** Fields of `POST /v1/oauth/device/approve` after parsing. */
export interface DeviceApproval {
  userCode: string;
  teamId?: string | undefined;
  orgId?: string | undefined;
  roleId: string;
  name: string;
  description: string;
  lifetimeSeconds?: number | null | undefined;
}

/**
 * Device authorization (RFC 8628): a device without a browser asks for a token and polls; a signed-in person types
 * the user code in the console and approves (a token made exactly as `POST .../tokens` would, covering rules and
 * audit included) or denies. Both codes are kept as SHA-256 only; the approved token is sealed (under the master key)
 * and handed out once. Elevation (`latchkey elevate`) asks for a role, a lifetime of at most
 * an hour and a reason, which end up in the token's description and expiry, and so in lists and the audit log.
 */
export function createDeviceAuthorizationService(deps: { store: Store; config: Config; tokens: TokenService; now: () => Date }) {
  const { store, config, tokens, now } = deps;
  /** Wrong user codes per person and per address, and requests started per address: times in this process's memory. */
  const failures = new Map<string, number[]>();

  const recentFailures = (key: string): number[] => {
    const since = now().getTime() - FAILURE_WINDOW_MS;
    const list = (failures.get(key) ?? []).filter((t) => t > since);
    if (list.length === 0) failures.delete(key);
    else failures.set(key, list);
    return list;
  };
  const throttleKeys = (principal: Principal): string[] => [`user:${principal.userId}`, `ip:${principal.context?.ip ?? ""}`];
  const checkThrottle = (principal: Principal) => {
    const [user = "", address = ""] = throttleKeys(principal);
    if (recentFailures(user).length >= MAX_USER_CODE_FAILURES || recentFailures(address).length >= MAX_ADDRESS_FAILURES) {
      throw new DomainError("RATE_LIMITED", "too many wrong user codes; wait a quarter of an hour", {
        retryAfterSeconds: FAILURE_WINDOW_MS / 1000,
      });
    }
  };
  const failed = (principal: Principal) => {
    for (const k of throttleKeys(principal)) {
      failures.set(k, [...recentFailures(k), now().getTime()]);
      if (failures.size > 100_000) failures.delete(failures.keys().next().value ?? "");
    }
  };

  /** The pending request a user code names, counted against the person's and the address's wrong guesses. */
  const pendingFor = async (principal: Principal, userCode: string): Promise<DeviceAuthorizationRow> => {
    checkThrottle(principal);
    const row = await store.deviceAuthorizations.pendingByUserCodeHash(sha256(userCode), now().toISOString());
    if (!row) {
      failed(principal);
      throw new DomainError("NOT_FOUND", "no pending device request has this code (it may have expired or been used)");
    }
    return row;
  };

  return {
    /** A new request (RFC 8628 section 3.2); the codes exist only in the reply. */
    async start(
      input: { requestedRole?: string | undefined; requestedLifetime?: number | undefined; reason?: string | undefined },
      context: RequestContext,
    ) {
      const at = now();
      const startKey = `start:${context.ip}`;
      const since = at.getTime() - EXPIRES_SECONDS * 1000;
      const starts = (failures.get(startKey) ?? []).filter((t) => t > since);
      if (starts.length >= MAX_STARTS_PER_ADDRESS) {
        throw new DomainError("RATE_LIMITED", "too many device requests from this address; try again later", {
          retryAfterSeconds: Math.max(1, Math.ceil(((starts[0] ?? at.getTime()) - since) / 1000)),
        });
      }
      failures.set(startKey, [...starts, at.getTime()]);
      if ((await store.deviceAuthorizations.countPending(at.toISOString())) >= MAX_PENDING) {
        throw new DomainError("RATE_LIMITED", "too many pending device requests; try again later", { retryAfterSeconds: 60 });
      }
      const deviceCode = randomSecret(32);
      const userCode = newUserCode();
      await store.deviceAuthorizations.insert({
        device_code_hash: sha256(deviceCode),
        user_code_hash: sha256(userCode),
        status: "pending",
        created_at: at.toISOString(),
        expires_at: new Date(at.getTime() + EXPIRES_SECONDS * 1000).toISOString(),
        interval_seconds: INTERVAL_SECONDS,
        last_polled_at: null,
        requested_role: input.requestedRole ?? null,
        requested_lifetime: input.requestedLifetime ?? null,
        reason: input.reason ?? null,
        ip: context.ip,
        user_agent: context.userAgent.slice(0, 200),
        entity_type: null,
        entity_id: null,
        token_id: null,
        sealed_token: null,
        token_expires_at: null,
      });
      const shown = displayUserCode(userCode);
      return {
        device_code: deviceCode,
        user_code: shown,
        verification_uri: `${config.publicUrl}/device`,
        verification_uri_complete: `${config.publicUrl}/device?user_code=${shown}`,
        expires_in: EXPIRES_SECONDS,
        interval: INTERVAL_SECONDS,
      };
    },

    /** One poll (RFC 8628 section 3.4): the token once, after approval; OAuth refusals otherwise. */
    async poll(deviceCode: string): Promise<{ token: string; expiresIn: number | null }> {
      const hash = sha256(deviceCode);
      const row = await store.deviceAuthorizations.byDeviceCodeHash(hash);
      if (!row) throw new OAuthRefusal("invalid_grant", "device_code is unknown or was already used");
      const at = now();
      if (row.expires_at <= at.toISOString() && row.status !== "approved") {
        await store.deviceAuthorizations.remove(hash);
        throw new OAuthRefusal("expired_token", "the device request expired; start again");
      }
      if (row.status === "denied") {
        await store.deviceAuthorizations.remove(hash);
        throw new OAuthRefusal("access_denied", "the request was denied");
      }
      if (row.status === "approved") {
        if (!(await store.deviceAuthorizations.remove(hash)) || !row.sealed_token) {
          throw new OAuthRefusal("invalid_grant", "device_code is unknown or was already used");
        }
        const token = open(sealKey(config.masterKey, hash), row.sealed_token).toString("utf8");
        const expiresIn = row.token_expires_at ? Math.max(0, Math.round((Date.parse(row.token_expires_at) - at.getTime()) / 1000)) : null;
        return { token, expiresIn };
      }
      const last = row.last_polled_at ? Date.parse(row.last_polled_at) : Number.NEGATIVE_INFINITY;
      if (at.getTime() - last < row.interval_seconds * 1000) {
        // Too fast: RFC 8628 section 3.5 says wait 5 seconds longer from now on.
        await store.deviceAuthorizations.polled(hash, at.toISOString(), row.interval_seconds + 5);
        throw new OAuthRefusal("slow_down", `poll at most every ${row.interval_seconds + 5} seconds`);
      }
      await store.deviceAuthorizations.polled(hash, at.toISOString(), row.interval_seconds);
      throw new OAuthRefusal("authorization_pending", "waiting for a person to approve the request");
    },

    /** What the person about to approve sees of a pending request. */
    async lookup(principal: Principal, userCode: string) {
      refuseTokens(principal, "looking up a device request needs a signed-in person, not an API token");
      const row = await pendingFor(principal, userCode);
      return {
        userCode: displayUserCode(userCode),
        expiresAt: row.expires_at,
        requestedRole: row.requested_role,
        requestedLifetimeSeconds: row.requested_lifetime,
        reason: row.reason,
        userAgent: row.user_agent,
        ip: row.ip,
      };
    },

    /** Makes the token for the waiting device from a team or organisation role the person may mint from. */
    async approve(principal: Principal, input: DeviceApproval) {
      refuseTokens(principal, "approving a device request needs a signed-in person, not an API token");
      const row = await pendingFor(principal, input.userCode);
      const [type, id] = input.teamId !== undefined ? (["team", input.teamId] as const) : (["org", input.orgId ?? ""] as const);
      // An elevation asked for at most `requested_lifetime`: the approver may shorten it, never lengthen it.
      const asked = row.requested_lifetime;
      const lifetime = asked === null ? (input.lifetimeSeconds ?? null) : Math.min(input.lifetimeSeconds ?? asked, asked);
      const at = now();
      const expiresAt = lifetime === null ? null : new Date(at.getTime() + lifetime * 1000).toISOString();
      const description = row.reason
        ? `Elevation for ${Math.round((lifetime ?? 0) / 60)} min: ${row.reason}`.slice(0, 1000)
        : input.description;
      const entity = await authorizeEntity(store, principal, type, id, `${type}.tokens.manage`);
      const created = await tokens.create(principal, entity, { name: input.name, description, roleId: input.roleId, expiresAt });
      const sealed = seal(sealKey(config.masterKey, row.device_code_hash), Buffer.from(created.token));
      const stored = await store.deviceAuthorizations.approve(row.device_code_hash, at.toISOString(), {
        entityType: type,
        entityId: id,
        tokenId: created.apiToken.id,
        sealedToken: sealed,
        tokenExpiresAt: expiresAt,
      });
      if (!stored) {
        // Denied, approved elsewhere or expired meanwhile: nobody would ever receive this token.
        await tokens.revoke(principal, entity, created.apiToken.id);
        throw new DomainError("CONFLICT", "the device request ended while it was being approved; start again");
      }
      return { apiToken: created.apiToken };
    },

    /** Refuses a pending request: the device's next poll gets access_denied. */
    async deny(principal: Principal, userCode: string) {
      refuseTokens(principal, "denying a device request needs a signed-in person, not an API token");
      const row = await pendingFor(principal, userCode);
      if (!(await store.deviceAuthorizations.deny(row.device_code_hash, now().toISOString()))) {
        throw new DomainError("NOT_FOUND", "no pending device request has this code");
      }
      return { denied: true as const };
    },

    removeExpired: () => store.deviceAuthorizations.removeExpired(new Date(now().getTime() - EXPIRES_SECONDS * 1000).toISOString()),
  };
}

export type DeviceAuthorizationService = ReturnType<typeof createDeviceAuthorizationService>;
