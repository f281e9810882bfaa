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

/** The organisation, if it exists and the principal belongs to it; else 404. */
export async function orgFor(store: Repositories, principal: Principal, orgId: string): Promise<OrgRow> {
  const org = await store.orgs.byId(orgId);
  if (!org || !reachesOrg(principal, orgId)) throw new DomainError("NOT_FOUND", `organisation ${orgId} not found`);
  return org;
}

/** The resource a team-level permission is checked against. */
export function teamResource(team: TeamRow): { teamId: string; orgId: string | null } {
  return { teamId: team.id, orgId: team.org_id };
}
