import { z } from "zod";
import { Slug } from "./common.js";

/**
 * `GET /v1/teams/{teamId}/my-access` (and `/v1/orgs/{orgId}/my-access`): what the caller may do there, the one source
 * the console reads to show only the actions the server would allow.
 */
export const MyAccess = z.object({
  entityType: z.enum(["team", "org"]),
  entityId: Slug,
  permissions: z
    .array(z.string())
    .describe("permission ids held on this team (its team.* and project.* ids) or organisation (its org.* ids)"),
  grantableRoles: z.array(Slug).describe("roles of this team or organisation the caller may give a member or mint a token from"),
});
