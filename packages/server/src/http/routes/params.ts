import { DomainError, Slug } from "@latchkey/core";
import { z } from "zod";
import type { Principal } from "../../access/principal.js";

export const TeamParams = z.strictObject({ teamId: Slug });
export const OrgParams = z.strictObject({ orgId: Slug });
export const UserId = z.string().min(1).max(64);
export const OpaqueId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "not an id");
export const Deleted = z.object({ id: z.string(), deleted: z.literal(true) });

type EntityType = "team" | "org";

/**
 * Team and organisation routes differ only by prefix, so each module registers both from this table. `implied` is
 * the unprefixed form a token of that kind calls (`/v1/roles` for a team token, `/v1/org-roles` for an org token).
 */
export const ENTITY_PREFIXES = [
  { type: "team" as const, prefix: "/v1/teams/:teamId", key: "teamId" as const, implied: (noun: string) => `/v1/${noun}` },
  { type: "org" as const, prefix: "/v1/orgs/:orgId", key: "orgId" as const, implied: (noun: string) => `/v1/org-${noun}` },
];

/** Path parameters of an entity route, where the entity id may be implied by the credential. */
export const entityParams = <T extends Record<string, z.ZodType>>(key: "teamId" | "orgId", extra: T) =>
  z.strictObject({ [key]: Slug.optional(), ...extra });

/** The entity a request acts on: named by the path, or implied by the token (which must be of that kind). */
export function entityOf(
  principal: Principal,
  params: Record<string, unknown>,
  key: "teamId" | "orgId",
  type?: EntityType,
): { type: EntityType; id: string } {
  const named = params[key];
  if (typeof named === "string") return { type: key === "teamId" ? "team" : "org", id: named };
  const scope = principal.scope;
  if (scope && (type === undefined || scope.entityType === type)) return { type: scope.entityType, id: scope.entityId };
  const where = type === "org" ? "/v1/orgs/{orgId}/..." : "/v1/teams/{teamId}/...";
  throw new DomainError("VALIDATION_FAILED", `this credential implies no ${type ?? "team or organisation"}: use ${where}`, {
    fields: { [key]: "required for this credential" },
  });
}

/** The entity id of a path that has either `teamId` or `orgId`, or the one the token implies. */
export function entityId(params: Record<string, unknown>, key: "teamId" | "orgId", principal?: Principal): string {
  if (principal) return entityOf(principal, params, key, key === "teamId" ? "team" : "org").id;
  return String(params[key]);
}
