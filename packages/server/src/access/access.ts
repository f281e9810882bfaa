import { can, covers, DomainError, grantAllows, uncovered, type Grant, type PermissionId, type Resource } from "@latchkey/core";
import type { Repositories } from "../store/store.js";
import type { OrgRow } from "../store/repositories/orgs.js";
import type { TeamRow } from "../store/repositories/teams.js";
import type { EntityType } from "../store/schema.js";
import { grantOf, type Principal } from "./principal.js";
import { restrictionRefusal } from "./restriction-refusal.js";

// The one place that decides access: which entity a request acts on, whether the principal reaches it (else 404, so
// that other tenants' ids reveal nothing), and whether it holds the permission there (else 403 naming it).

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

/** A team or organisation that holds roles, members and tokens, already checked as reachable. */
export interface Entity {
  type: EntityType;
  id: string;
  /** The organisation: the team's, or the organisation itself. */
  orgId: string | null;
  resource: Resource;
}

/** Loads the team or organisation named by a path, 404 unless the principal reaches it. */
export async function entityFor(tx: Repositories, principal: Principal, type: EntityType, id: string): Promise<Entity> {
  if (type === "team") {
    const team = await teamFor(tx, principal, id);
    return { type, id, orgId: team.org_id, resource: { teamId: id, orgId: team.org_id } };
  }
  await orgFor(tx, principal, id);
  return { type, id, orgId: id, resource: { orgId: id } };
}

/** The permission id of an action on an entity's roles, members or tokens ("team.roles.manage"). */
export function entityPermission<W extends "roles" | "members" | "tokens" | "audit">(
  entity: Entity,
  what: W,
  action: W extends "audit" ? "read" : "read" | "manage",
): PermissionId {
  // Every team.* and org.* id these parameters can spell is in the catalogue (the audit log is read-only).
  return `${entity.type}.${what}.${action}` as PermissionId;
}

/** Throws 403 naming the permission unless the principal holds it on the resource. */
export function authorize(principal: Principal, permissionId: PermissionId, resource: Resource): void {
  if (!can(principal.grants, permissionId, resource)) {
    // Held on the team but the project is outside the role's restrictions: say so, not "missing permission".
    const restricted = restrictionRefusal(principal.grants, permissionId, resource, principal.kind);
    if (restricted) throw restricted;
    throw new DomainError("FORBIDDEN", `missing permission ${permissionId}`, { permission: permissionId, resource });
  }
}

/** Whether any grant of the principal touches this team (directly, or through its organisation). */
export function reachesTeam(principal: Principal, team: { id: string; org_id: string | null }): boolean {
  return principal.grants.some((g) => {
    if (g.entityType === "team") return g.entityId === team.id;
    if (g.entityId !== team.org_id) return false;
    return !g.restrictions.enabled || g.restrictions.teams.some((t) => t.teamId === team.id);
  });
}

/** Whether any grant of the principal belongs to this organisation. */
export function reachesOrg(principal: Principal, orgId: string): boolean {
  return principal.grants.some((g) => g.entityType === "org" && g.entityId === orgId);
}

/** Requires a person at a console session for actions a token must never take. */
export function requireSession(principal: Principal, what: string): void {
  refuseTokens(principal, `${what} needs a signed-in person, not an API token`);
}

/** Throws 403 with `message` when the credential is an API token (signing out, changing a password). */
export function refuseTokens(principal: Principal, message: string): void {
  if (principal.kind !== "session") throw new DomainError("FORBIDDEN", message);
}

/**
 * Deleting a team takes `team.delete` on it, or `org.teams.delete` through its organisation with a grant that itself
 * reaches this team (an organisation role restricted to other teams does not).
 */
export function authorizeTeamDeletion(principal: Principal, team: Pick<TeamRow, "id" | "org_id">): void {
  const viaOrg = principal.grants.some(
    (g) => grantAllows(g, "org.teams.delete", { orgId: team.org_id }) && reachesTeam({ ...principal, grants: [g] }, team),
  );
  if (!viaOrg && !can(principal.grants, "team.delete", teamResource(team))) {
    throw new DomainError("FORBIDDEN", "missing permission team.delete", { permission: "team.delete" });
  }
}

/** Throws 403 unless the principal already holds everything `target` would grant (no escalation). */
export function assertCovers(principal: Principal, target: Grant, what: string): void {
  if (!covers(principal.grants, target)) {
    const missing = uncovered(principal.grants, target);
    throw new DomainError("FORBIDDEN", `${what} would grant more than you hold`, {
      permission: missing[0] ?? "restrictions",
      missing,
    });
  }
}

/** The entity a request acts on: named by the path, or implied by the token (which must be of that kind). */
export function entityOf(
  principal: Principal,
  params: Record<string, unknown>,
  key: "teamId" | "orgId",
  type?: EntityType,
  /** What the path names after the entity, for the message: `projects` -> `use /v1/teams/{teamId}/projects`. */
  noun = "...",
): { type: EntityType; id: string } {
  const named = params[key];
  if (typeof named === "string") return { type: key === "teamId" ? "team" : "org", id: named };
  const scope = principal.scope;
  if (scope && (type === undefined || scope.entityType === type)) return { type: scope.entityType, id: scope.entityId };
  const where = type === "org" ? `/v1/orgs/{orgId}/${noun}` : `/v1/teams/{teamId}/${noun}`;
  throw new DomainError("VALIDATION_FAILED", `this credential implies no ${type ?? "team or organisation"}: use ${where}`, {
    fields: { [key]: "required for this credential" },
  });
}

/** The entity id of a path that has either `teamId` or `orgId`, or the one the token implies. */
export function entityId(params: Record<string, unknown>, key: "teamId" | "orgId", principal?: Principal): string {
  if (principal) return entityOf(principal, params, key, key === "teamId" ? "team" : "org").id;
  return String(params[key]);
}
