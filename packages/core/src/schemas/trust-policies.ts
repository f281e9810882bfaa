import { z } from "zod";
import { IsoTime, Name, Slug } from "./common.js";

const LOOPBACK = new Set(["127.0.0.1", "[::1]", "localhost"]);

/** Whether an issuer URL may be trusted: `https://`, or `http://` on a loopback address; no query, fragment or credentials. */
export function isTrustableIssuer(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") return false;
  if (value.endsWith("/")) return false;
  return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK.has(url.hostname));
}

/** The `iss` of the ID tokens a policy trusts: its keys come from `<issuer>/.well-known/openid-configuration`. */
export const Issuer = z
  .string()
  .max(512)
  .refine(isTrustableIssuer, "must be an https:// URL (or http:// on a loopback address) without a trailing slash, query or fragment");

/** A claim an ID token must carry (`repository`, `ref`, `environment`, `sub`...). */
export const ClaimName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/, "must be a claim name")
  .refine((c) => !["iss", "aud", "exp", "nbf", "iat", "jti"].includes(c), "is checked by Latchkey itself, not by a condition");

/** The claim conditions: every one must match; `*` in a value matches any run of characters. */
export const Conditions = z
  .record(ClaimName, z.string().min(1).max(512))
  .refine((c) => Object.keys(c).length <= 20, "at most 20 conditions")
  .refine((c) => Object.values(c).some((v) => v.replace(/\*/g, "") !== ""), {
    message: "pin at least one claim to a value that is not only wildcards (e.g. repository)",
  });

/** The longest a token minted by a policy may live: one hour. */
export const TRUST_MAX_LIFETIME_SECONDS = 3600;
const Lifetime = z.number().int().min(60).max(TRUST_MAX_LIFETIME_SECONDS);

/** `POST .../trust-policies`. */
export const TrustPolicyCreate = z.strictObject({
  name: Name,
  issuer: Issuer,
  audience: z.string().min(1).max(512),
  conditions: Conditions,
  roleId: Slug,
  maxLifetimeSeconds: Lifetime.default(900),
});

/** `PATCH .../trust-policies/{policyId}`. */
export const TrustPolicyUpdate = z.strictObject({
  name: Name.optional(),
  issuer: Issuer.optional(),
  audience: z.string().min(1).max(512).optional(),
  conditions: Conditions.optional(),
  roleId: Slug.optional(),
  maxLifetimeSeconds: Lifetime.optional(),
});

/** A trust policy: ID tokens of `issuer` for `audience` whose claims meet every condition get a token of `roleId`. */
export const TrustPolicy = z.object({
  id: z.string(),
  name: z.string(),
  issuer: z.string(),
  audience: z.string(),
  conditions: z.record(z.string(), z.string()),
  roleId: z.string(),
  maxLifetimeSeconds: z.number().int(),
  createdAt: IsoTime,
  updatedAt: IsoTime,
});
export type TrustPolicy = z.infer<typeof TrustPolicy>;

/** Whether a claim value meets a condition: equal, or matched with `*` standing for any run of characters. */
export function conditionMatches(pattern: string, value: string): boolean {
  if (!pattern.includes("*")) return pattern === value;
  const parts = pattern.split("*");
  const first = parts[0] ?? "";
  const last = parts[parts.length - 1] ?? "";
  if (!value.startsWith(first) || value.length < first.length + last.length || !value.endsWith(last)) return false;
  let at = first.length;
  const end = value.length - last.length;
  for (const part of parts.slice(1, -1)) {
    const found = value.indexOf(part, at);
    if (found === -1 || found + part.length > end) return false;
    at = found + part.length;
  }
  return true;
}
