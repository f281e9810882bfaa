import { Slug } from "@latchkey/core";
import { z } from "zod";

export const TeamParams = z.strictObject({ teamId: Slug });
export const OrgParams = z.strictObject({ orgId: Slug });
export const UserId = z.string().min(1).max(64);
export const OpaqueId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "not an id");
export const Deleted = z.object({ id: z.string(), deleted: z.literal(true) });

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
