import { type Grant, type IpAllowList, type OrgRestrictions, type PermissionSet, type ProjectRestrictions } from "@latchkey/core";
import type { RoleRow } from "../store/repositories/roles.js";
import type { RequestContext } from "./request-context.js";

/** Who is calling and what they hold, whatever the credential: the one type every service authorizes against. */
export interface Principal {
  kind: "session" | "api";
  /** The person: the signed-in user, or the user who created the token. */
  userId: string;
  email: string;
  /** The API token's id when the credential is a token. */
  tokenId: string | null;
  /** API tokens: which of the token's keys (the JWT's `jti`) this request presented, for the audit log. */
  keyId?: string;
  grants: Grant[];
  /** The team or organisation a token belongs to, which unprefixed paths (`/v1/projects`) act on. */
  scope: { entityType: "team" | "org"; entityId: string } | null;
  /** API tokens: requests per hour this token may make (its team's or organisation's limit, or the server's). */
  rateLimitPerHour?: number;
  /** API tokens: what the token is, shared by every request of the token (forward auth's identity headers). */
  token?: TokenIdentity;
  /** API tokens with an IP allow-list: the addresses they may be used from (`ipAllowed` decides). */
  allowList?: IpAllowList;
  /** Set by the HTTP layer; absent for work that no request started. */
  context?: RequestContext;
}

/** An API token as services that check it see it: made once per token snapshot, never per request. */
export interface TokenIdentity {
  name: string;
  roleId: string;
  /** `team:<id>` or `org:<id>`. */
  entity: string;
  orgId: string | null;
  expiresAt: string | null;
}

/** The grant a stored role gives; `teamOrgId` is the organisation of a team role's team. */
export function grantOf(role: RoleRow, teamOrgId: string | null): Grant {
  const permissions = JSON.parse(role.permissions) as PermissionSet;
  if (role.entity_type === "team") {
    return {
      entityType: "team",
      entityId: role.entity_id,
      orgId: teamOrgId,
      permissions,
      restrictions: JSON.parse(role.restrictions) as ProjectRestrictions,
    };
  }
  return {
    entityType: "org",
    entityId: role.entity_id,
    orgId: role.entity_id,
    permissions,
    restrictions: JSON.parse(role.restrictions) as OrgRestrictions,
  };
}
