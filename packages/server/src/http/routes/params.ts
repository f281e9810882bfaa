import { Slug } from "@latchkey/core";
import { z } from "zod";

export const TeamParams = z.strictObject({ teamId: Slug });
export const OrgParams = z.strictObject({ orgId: Slug });
export const UserId = z.string().min(1).max(64);
export const Deleted = z.object({ id: z.string(), deleted: z.literal(true) });

/** Team and organisation routes are the same but for the prefix; each module registers both from one table. */
export const ENTITY_PREFIXES = [
  { type: "team" as const, prefix: "/v1/teams/:teamId", key: "teamId" as const },
  { type: "org" as const, prefix: "/v1/orgs/:orgId", key: "orgId" as const },
];

/** The entity id of a path that has either `teamId` or `orgId`. */
export function entityId(params: Record<string, unknown>, key: "teamId" | "orgId"): string {
  return String(params[key]);
}
