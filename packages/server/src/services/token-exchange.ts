import { conditionMatches, TRUST_MAX_LIFETIME_SECONDS } from "@latchkey/core";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JSONWebKeySet, type JWTPayload } from "jose";
import type { Config } from "../config.js";
import type { RequestContext } from "../access/request-context.js";
import type { Recorder } from "../audit/service.js";
import type { TrustPolicyRow } from "../store/repositories/trust-policies.js";
import type { Store } from "../store/store.js";
import { IssuerKeysError, type OidcKeys } from "./oidc-keys.js";
import { OAuthRefusal } from "./oauth-error.js";
import type { TokenService } from "./tokens.js";

/** Signature algorithms an ID token may use: public-key ones only (never `none`, never HMAC). */
const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];
const CLOCK_SKEW_SECONDS = 30;
const MAX_SUBJECT_TOKEN = 16 * 1024;
/** Claims copied into the audit log when a token names them: who the CI job was. */
const SUBJECT_CLAIMS = [
  "sub",
  "repository",
  "repository_owner",
  "ref",
  "environment",
  "workflow",
  "job_workflow_ref",
  "actor",
  "run_id",
  "sha",
  "event_name",
  "project_path",
  "pipeline_source",
];
/** At most this many tenants get a refusal event for one token. */
const MAX_REFUSAL_EVENTS = 10;

const claimText = (value: unknown): string | null =>
  typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : null;

/** The claims that say who a federated caller was, as strings, each cut to 200 characters. */
function subjectOf(claims: JWTPayload): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of SUBJECT_CLAIMS) {
    const v = claimText(claims[c]);
    if (v !== null) out[c] = v.slice(0, 200);
  }
  return out;
}

const audiences = (claims: JWTPayload): string[] =>
  typeof claims.aud === "string" ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];

function meets(policy: TrustPolicyRow, claims: JWTPayload): boolean {
  if (!audiences(claims).includes(policy.audience)) return false;
  const conditions = JSON.parse(policy.conditions) as Record<string, string>;
  return Object.entries(conditions).every(([claim, pattern]) => {
    const value = claimText(claims[claim]);
    return value !== null && conditionMatches(pattern, value);
  });
}

/**
 * The token exchange (RFC 8693): a foreign OIDC ID token (a CI job's) becomes an ordinary Latchkey token of the role
 * of the one trust policy it meets. Nothing is fetched for an issuer no policy names; the keys come from the
 * policy's issuer (oidc-keys.ts), never from the token.
 */
export function createTokenExchange(deps: {
  store: Store;
  config: Config;
  tokens: TokenService;
  keys: OidcKeys;
  now: () => Date;
  record: Recorder;
}) {
  const { store, config, tokens, keys, now, record } = deps;

  const verify = async (subjectToken: string, issuer: string): Promise<JWTPayload> => {
    const attempt = async (set: JSONWebKeySet) =>
      (
        await jwtVerify(subjectToken, createLocalJWKSet(set), {
          issuer,
          algorithms: ALGORITHMS,
          clockTolerance: CLOCK_SKEW_SECONDS,
          requiredClaims: ["exp", "iat"],
          currentDate: now(),
        })
      ).payload;
    let set: JSONWebKeySet;
    try {
      set = await keys.keys(issuer);
    } catch (error) {
      throw new OAuthRefusal(
        "invalid_request",
        error instanceof IssuerKeysError ? `the issuer's keys: ${error.message}` : "the issuer's keys could not be read",
      );
    }
    try {
      return await attempt(set);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      // The issuer may have rotated its keys: ask again (at most once a minute per issuer).
      const fresh = await keys.refresh(issuer).catch(() => null);
      if (!fresh) throw error;
      return attempt(fresh);
    }
  };

  /** Refusal events in the audit log of the tenants whose policies trust this issuer and audience. */
  const auditRefusal = async (policies: TrustPolicyRow[], claims: JWTPayload, reason: string, context: RequestContext) => {
    const seen = new Set<string>();
    const targets = policies.filter((p) => {
      const key = `${p.entity_type}:${p.entity_id}`;
      if (seen.has(key) || !audiences(claims).includes(p.audience)) return false;
      seen.add(key);
      return true;
    });
    if (targets.length === 0) return;
    await store.transaction(async (tx) => {
      for (const p of targets.slice(0, MAX_REFUSAL_EVENTS)) {
        await record(tx, {
          principal: null,
          entity: { type: p.entity_type, id: p.entity_id },
          event: "tokenExchange.refused",
          resource: { type: "trustPolicies", id: p.id },
          change: { after: { reason, issuer: p.issuer, claimedSubject: subjectOf(claims) } },
          context,
        });
      }
    });
  };

  return {
    /**
     * `audience` (RFC 8693 section 2.1), when given, is `team:<id>` or `org:<id>`: only that tenant's policies are
     * considered, so that another tenant's overlapping policy cannot make the match ambiguous.
     */
    async exchange(input: { subjectToken: string; subjectTokenType: string; audience?: string | undefined }, context: RequestContext) {
      if (input.subjectToken.length > MAX_SUBJECT_TOKEN) throw new OAuthRefusal("invalid_request", "subject_token is too long");
      let claims: JWTPayload;
      let alg: string | undefined;
      try {
        alg = decodeProtectedHeader(input.subjectToken).alg;
        claims = decodeJwt(input.subjectToken);
      } catch {
        throw new OAuthRefusal("invalid_request", "subject_token is not a JWT");
      }
      if (alg === undefined || !ALGORITHMS.includes(alg)) {
        throw new OAuthRefusal("invalid_request", `subject_token's algorithm ${alg ?? "(none)"} is not accepted`);
      }
      const issuer = typeof claims.iss === "string" ? claims.iss : "";
      const all = issuer ? await store.trustPolicies.byIssuer(issuer) : [];
      const policies = input.audience === undefined ? all : all.filter((p) => `${p.entity_type}:${p.entity_id}` === input.audience);
      if (policies.length === 0) throw new OAuthRefusal("invalid_request", "no trust policy trusts this issuer");

      let verified: JWTPayload;
      try {
        verified = await verify(input.subjectToken, issuer);
      } catch (error) {
        const reason =
          error instanceof OAuthRefusal
            ? error.message
            : error instanceof errors.JWTExpired
              ? "subject_token has expired"
              : error instanceof errors.JWTClaimValidationFailed
                ? `subject_token's ${error.claim} claim is not valid`
                : error instanceof errors.JWKSNoMatchingKey
                  ? "subject_token is signed with a key the issuer does not publish"
                  : "subject_token's signature is not valid";
        await auditRefusal(policies, claims, reason, context);
        throw error instanceof OAuthRefusal ? error : new OAuthRefusal("invalid_request", reason);
      }
      const at = now();
      if (typeof verified.iat === "number" && verified.iat > at.getTime() / 1000 + CLOCK_SKEW_SECONDS) {
        await auditRefusal(policies, verified, "subject_token was issued in the future", context);
        throw new OAuthRefusal("invalid_request", "subject_token's iat claim is not valid");
      }
      const matching = policies.filter((p) => meets(p, verified));
      if (matching.length !== 1) {
        const reason = matching.length === 0 ? "no trust policy matches this token" : "more than one trust policy matches this token";
        await auditRefusal(policies, verified, reason, context);
        throw new OAuthRefusal("invalid_request", reason);
      }
      const policy = matching[0] as TrustPolicyRow;
      const subject = subjectOf(verified);
      const lifetimeMs = Math.min(policy.max_lifetime_seconds, TRUST_MAX_LIFETIME_SECONDS) * 1000;
      const maxMs = config.tokenMaxLifetimeMs;
      const expiresAt = new Date(at.getTime() + (maxMs === null ? lifetimeMs : Math.min(lifetimeMs, maxMs)));
      const entity = { type: policy.entity_type, id: policy.entity_id };
      const minted = await store.transaction(async (tx) => {
        const role = await tx.roles.byId(policy.entity_type, policy.entity_id, policy.role_id);
        if (!role) return null;
        const orgId = policy.entity_type === "org" ? policy.entity_id : ((await tx.teams.byId(policy.entity_id))?.org_id ?? null);
        const result = await tokens.mint(
          tx,
          { ...entity, orgId, resource: policy.entity_type === "org" ? { orgId } : { teamId: policy.entity_id, orgId } },
          role,
          {
            name: `${policy.name}: ${subject["sub"] ?? "federated"}`.slice(0, 100),
            description: `Exchanged for an ID token of ${issuer} (trust policy ${policy.id})`.slice(0, 1000),
            creatorId: policy.creator_id,
            creatorEmail: `federated:${subject["sub"] ?? ""}`.slice(0, 254),
            expiresAt,
            at,
          },
        );
        await record(tx, {
          principal: null,
          entity,
          event: "apiTokens.exchange",
          resource: { type: "apiTokens", id: result.apiToken.id },
          change: { after: { ...result.apiToken, trustPolicyId: policy.id, issuer, federatedSubject: subject } },
          context,
        });
        return result;
      });
      if (!minted) throw new OAuthRefusal("invalid_request", "the trust policy's role no longer exists");
      return { token: minted.token, expiresIn: Math.round((expiresAt.getTime() - at.getTime()) / 1000) };
    },
  };
}

export type TokenExchange = ReturnType<typeof createTokenExchange>;
