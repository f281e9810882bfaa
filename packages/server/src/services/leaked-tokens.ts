import { DomainError, isTokenShaped } from "@latchkey/core";
import type { Recorder } from "../audit/service.js";
import type { Config } from "../config.js";
import { safeEqual, sha256 } from "../lib/secrets.js";
import { createRateCounter } from "../store/rate-counter.js";
import type { Store } from "../store/store.js";
import { splitToken, verifyJwt, type TokenClaims } from "../tokens/jwt.js";
import type { SigningKeys } from "../tokens/signing-keys.js";

/** Who reported leaked tokens: anyone (public endpoint) or GitHub's secret scanning, with where it found them. */
export interface LeakReport {
  source: "public" | "github";
  /** The address the report came from (audited). */
  ip: string;
  /** GitHub: where each token was found, by position in `tokens`. */
  urls?: (string | undefined)[];
}

const QUARTER_HOUR_MS = 15 * 60_000;

/** The key an address is counted under: an IPv6 /64 counts as one address (one subscriber usually holds a whole /64). */
function addressKey(ip: string): string {
  if (!ip.includes(":") || ip.startsWith("::ffff:")) return ip;
  const [head = "", tail = ""] = ip.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === "" ? [] : tail.split(":");
  const groups = ip.includes("::") ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right] : left;
  return `${groups.slice(0, 4).join(":")}::/64`;
}

/** What happened to each reported string: not ours at all, ours but already dead, or revoked now. */
export type LeakVerdict = "unknown" | "genuine" | "revoked";

/**
 * Leaked tokens, revoked by whoever holds them. A string counts only when it is shaped like our tokens, carries our
 * signature, names a key of ours whose stored hash it matches (in constant time), and that token is still live:
 * everything else is ignored without a word, so a reply never says which strings were genuine.
 */
export function createLeakedTokens(deps: {
  store: Store;
  config: Config;
  keys: SigningKeys;
  now: () => Date;
  nowMs: () => number;
  record: Recorder;
  onError?: (error: unknown) => void;
}) {
  const { store, config, keys, now, nowMs, record } = deps;
  const expected = { iss: config.publicUrl, aud: `${config.publicUrl}/v1` };
  const perAddress = createRateCounter({
    store,
    prefix: "rev:",
    windowMs: QUARTER_HOUR_MS,
    now: nowMs,
    ...(deps.onError ? { onError: deps.onError } : {}),
  });

  /** The claims of a token signed by one of our keys (a key made by another process a moment ago included). */
  const claimsOf = async (token: string): Promise<TokenClaims | null> => {
    if (!isTokenShaped(token)) return null;
    try {
      return verifyJwt(token, keys.knownPublicKey, expected);
    } catch {
      try {
        const { kid } = splitToken(token);
        if (keys.knownPublicKey(kid) || !(await keys.publicKey(kid))) return null;
        return verifyJwt(token, keys.knownPublicKey, expected);
      } catch {
        return null;
      }
    }
  };

  return {
    /** Counts a public revocation request of an address; 429 past its limit per quarter hour (shared by every process). */
    admit(ip: string): void {
      const decision = perAddress.take(addressKey(ip), config.leaks.revocationsPerAddress);
      if (!decision.allowed) {
        const retryAfterSeconds = Math.max(1, Math.ceil((decision.resetMs - nowMs()) / 1000));
        throw new DomainError("RATE_LIMITED", "too many revocation requests from this address; retry later", { retryAfterSeconds });
      }
    },

    /** Revokes every genuine, live token among `tokens` in one transaction; the verdicts follow the input's order. */
    async report(tokens: readonly string[], report: LeakReport): Promise<LeakVerdict[]> {
      const verdicts: LeakVerdict[] = tokens.map(() => "unknown");
      const candidates: { i: number; claims: TokenClaims; hash: string }[] = [];
      for (const [i, token] of tokens.entries()) {
        const claims = await claimsOf(token);
        if (!claims) continue;
        candidates.push({ i, claims, hash: sha256(token) });
      }
      if (candidates.length === 0) return verdicts;
      await store.transaction(async (tx) => {
        const at = now();
        const atIso = at.toISOString();
        const revokedHere = new Set<string>();
        for (const { i, claims, hash } of candidates) {
          const row = await tx.tokens.byId(claims.sub);
          const key = await tx.tokens.keyById(claims.jti);
          if (!row || !key || key.token_id !== row.id || !safeEqual(key.secret_hash, hash)) continue;
          verdicts[i] = "genuine";
          if (revokedHere.has(row.id)) {
            verdicts[i] = "revoked";
            continue;
          }
          const live =
            row.revoked_at === null &&
            key.revoked_at === null &&
            (row.expires_at === null || row.expires_at > atIso) &&
            (key.expires_at === null || key.expires_at > atIso);
          if (!live) continue;
          // The whole token goes, not only the leaked key: whoever leaked one key may have leaked the others with it.
          await tx.tokens.revoke(row.id, atIso);
          await tx.publish({ t: "token", id: row.id });
          revokedHere.add(row.id);
          verdicts[i] = "revoked";
          const url = report.urls?.[i];
          const entity = { type: row.entity_type, id: row.entity_id };
          await record(tx, {
            principal: null,
            entity,
            event: "apiTokens.leaked",
            resource: { type: "apiTokens", id: row.id },
            change: { after: { revokedAt: atIso, source: report.source, keyId: key.id, reporterIp: report.ip, ...(url ? { url } : {}) } },
          });
        }
      });
      return verdicts;
    },

    close: () => perAddress.close(),
  };
}

export type LeakedTokens = ReturnType<typeof createLeakedTokens>;
