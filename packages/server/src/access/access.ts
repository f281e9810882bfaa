import { DomainError, type Grant } from "@latchkey/core";
import type { Repositories } from "../store/store.js";
import type { OrgRow } from "../store/repositories/orgs.js";
import type { TeamRow } from "../store/repositories/teams.js";
import { grantOf, reachesOrg, reachesTeam, type Principal } from "./principal.js";

/** Every grant a person holds through their team and organisation roles. */
export async function grantsOfUser(store: Repositories, userId: string): Promise<Grant[]> {
  const roles = await store.roles.heldBy(userId);
  return roles.map((r) => grantOf(r, r.team_org_id ?? null));
}

/** The team, if it exists and the principal reaches it; else 404, so other tenants' ids reveal nothing. */
export async function teamFor(store: Repositories, principal: Principal, teamId: string): Promise<TeamRow> {
  const team = await store.teams.byId(teamId);
  if (!team || !reachesTeam(principal, team)) throw new DomainError("NOT_FOUND", `team ${teamId} not found`);
  return team;
}

/**
 * The id and organisation of a team the principal reaches. A team token on its own team needs no query: the
 * verifier's snapshot of its role (kept current by the change feed) knows both, and teams never change organisation.
 */
export async function teamRefFor(store: Repositories, principal: Principal, teamId: string): Promise<Pick<TeamRow, "id" | "org_id">> {
  const g = principal.kind === "api" ? principal.grants[0] : undefined;
  if (g?.entityType === "team" && g.entityId === teamId && principal.scope?.entityId === teamId) return { id: teamId, org_id: g.orgId };
  return teamFor(store, principal, teamId);
}

/** The organisation, if it exists and the principal belongs to it; else 404. */
export async function orgFor(store: Repositories, principal: Principal, orgId: string): Promise<OrgRow> {
  const org = await store.orgs.byId(orgId);
  if (!org || !reachesOrg(principal, orgId)) throw new DomainError("NOT_FOUND", `organisation ${orgId} not found`);
  return org;
}

/** The resource a team-level permission is checked against. */
export function teamResource(team: Pick<TeamRow, "id" | "org_id">): { teamId: string; orgId: string | null } {
  return { teamId: team.id, orgId: team.org_id };
}
