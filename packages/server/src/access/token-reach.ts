import { can, DomainError, grantAllows } from "@latchkey/core";
import type { Principal } from "./principal.js";
import { reachesTeam } from "./access.js";

/** The team or organisation an API token belongs to. */
export interface TokenOwner {
  entityType: "team" | "org";
  entityId: string;
  /** The team's organisation, or the organisation itself. */
  orgId: string | null;
}

/**
 * Throws 403 naming the permission when the caller holds `apis.verify` nowhere: a refusal that depends on the caller
 * alone, so it says nothing about the token asked about.
 */
export function assertVerifies(caller: Principal): void {
  const any = caller.grants.some(
    (g) => g.permissions.teamScope.includes("team.apis.verify") || g.permissions.orgScope.includes("org.apis.verify"),
  );
  if (any) return;
  const permission = caller.scope?.entityType === "org" ? "org.apis.verify" : "team.apis.verify";
  throw new DomainError("FORBIDDEN", `missing permission ${permission}`, { permission });
}

/**
 * Whether the caller may check tokens of this team or organisation: `team.apis.verify` on the team, or
 * `org.apis.verify` in its organisation through a grant that itself reaches the team (an organisation role
 * restricted to other teams does not).
 */
export function verifiesTokensOf(caller: Principal, owner: TokenOwner): boolean {
  if (owner.entityType === "org") return can(caller.grants, "org.apis.verify", { orgId: owner.entityId });
  const team = { id: owner.entityId, org_id: owner.orgId };
  if (can(caller.grants, "team.apis.verify", { teamId: team.id, orgId: team.org_id })) return true;
  if (team.org_id === null) return false;
  return caller.grants.some(
    (g) => grantAllows(g, "org.apis.verify", { orgId: team.org_id }) && reachesTeam({ ...caller, grants: [g] }, team),
  );
}
