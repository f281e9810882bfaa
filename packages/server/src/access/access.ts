import {
  can,
  covers,
  DomainError,
  grantAllows,
  permission,
  uncovered,
  type Grant,
  type EntityRef,
  type PermissionId,
  type Resource,
} from "@latchkey/core";
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
async function teamFor(store: Repositories, principal: Principal, teamId: string): Promise<TeamRow> {
  const team = await store.teams.byId(teamId);
  if (!team || !reachesTeam(principal, team)) throw new DomainError("NOT_FOUND", `team ${teamId} not found`);
  return team;
}

/** The organisation, if it exists and the principal belongs to it; else 404. */
async function orgFor(store: Repositories, principal: Principal, orgId: string): Promise<OrgRow> {
  const org = await store.orgs.byId(orgId);
  if (!org || !reachesOrg(principal, orgId)) throw new DomainError("NOT_FOUND", `organisation ${orgId} not found`);
  return org;
}

/** The resource a team-level permission is checked against. */
function teamResource(team: Pick<TeamRow, "id" | "org_id">): { teamId: string; orgId: string | null } {
  return { teamId: team.id, orgId: team.org_id };
}

/** A team or organisation that holds roles, members and tokens, already checked as reachable. */
export interface Entity extends EntityRef {
  /** The organisation: the team's, or the organisation itself. */
  orgId: string | null;
  resource: Resource;
}

/**
 * A team token's own team, known without a query: the verifier's snapshot of its role (kept current by the change
 * feed) knows the team's organisation, and teams never change organisation. Null for anything else.
 */
function ownTeam(principal: Principal, type: EntityType, id: string): Entity | null {
  const g = principal.kind === "api" ? principal.grants[0] : undefined;
  if (type !== "team" || g?.entityType !== "team" || g.entityId !== id || principal.scope?.entityId !== id) return null;
  return { type, id, orgId: g.orgId, resource: { teamId: id, orgId: g.orgId } };
}

/** The team or organisation, 404 unless the principal reaches it. */
export async function entityFor(tx: Repositories, principal: Principal, type: EntityType, id: string): Promise<Entity> {
  if (type === "org") {
    await orgFor(tx, principal, id);
    return { type, id, orgId: id, resource: { orgId: id } };
  }
  const own = ownTeam(principal, type, id);
  if (own) return own;
  const team = await teamFor(tx, principal, id);
  return { type, id, orgId: team.org_id, resource: { teamId: id, orgId: team.org_id } };
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
function reachesOrg(principal: Principal, orgId: string): boolean {
  return principal.grants.some((g) => g.entityType === "org" && g.entityId === orgId);
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

/**
 * What a credential route requires, declared on the route and enforced by the router before its handler runs: a
 * permission on the entity the request names (or its token implies); alternatives by kind of entity (the unprefixed
 * `/v1/tokens` serves team and organisation tokens alike); or, for a route that checks no permission on an entity
 * (listing your own teams, your session), `{ none: why }`.
 */
export type RoutePermission = PermissionId | readonly PermissionId[] | { none: string };

/** A route's permission made ready at registration: which permission applies to which kind of entity. */
export interface AccessRule {
  team?: PermissionId;
  org?: PermissionId;
  /** What the unprefixed path names, for the message that asks for a prefixed one (`projects`). */
  noun: string;
}

/** The names a request gives: path parameters, or what a route reads from its body. */
export interface EntityNames {
  teamId?: string | undefined;
  orgId?: string | undefined;
  projectId?: string | undefined;
}

/** The rule of a declared permission, or null for `{ none }`; the noun comes from the route's unprefixed path. */
export function accessRule(declared: RoutePermission, url: string): AccessRule | null {
  if (typeof declared === "object" && "none" in declared) return null;
  const rule: AccessRule = { noun: /^\/v1\/(?:org-)?([a-z-]+)/.exec(url.replace(/^\/v1\/(teams|orgs)\/:\w+/, "/v1"))?.[1] ?? "..." };
  for (const id of typeof declared === "string" ? [declared] : declared) {
    const kind = permission(id)?.scope === "org" ? "org" : "team";
    rule[kind] = id;
  }
  return rule;
}

/** How a declared permission reads in the API's description: `team|org.tokens.manage` for alternatives. */
export function permissionDoc(declared: RoutePermission | undefined): string | undefined {
  if (declared === undefined || typeof declared === "string") return declared;
  if ("none" in declared) return undefined;
  const rests = new Set(declared.map((id) => id.slice(id.indexOf("."))));
  if (rests.size === 1) return `${declared.map((id) => id.slice(0, id.indexOf("."))).join("|")}${[...rests][0] ?? ""}`;
  return declared.join("|");
}

/** The entity a request acts on: named by the path (or body), or implied by the token (which must be of that kind). */
export function namedEntity(principal: Principal, names: EntityNames, rule: AccessRule): { type: EntityType; id: string } {
  if (rule.team && typeof names.teamId === "string") return { type: "team", id: names.teamId };
  if (rule.org && typeof names.orgId === "string") return { type: "org", id: names.orgId };
  const scope = principal.scope;
  if (scope && rule[scope.entityType]) return { type: scope.entityType, id: scope.entityId };
  const type = rule.team && rule.org ? undefined : rule.org ? "org" : "team";
  const key = type === "org" ? "orgId" : "teamId";
  const where = type === "org" ? `/v1/orgs/{orgId}/${rule.noun}` : `/v1/teams/{teamId}/${rule.noun}`;
  throw new DomainError("VALIDATION_FAILED", `this credential implies no ${type ?? "team or organisation"}: use ${where}`, {
    fields: { [key]: "required for this credential" },
  });
}

/**
 * The whole decision for one request: the entity it names, 404 unless the principal reaches it, 403 naming the
 * permission unless the principal holds it there (on the project, when the request names one). Returns the entity.
 */
export async function authorizeRequest(store: Repositories, principal: Principal, rule: AccessRule, names: EntityNames): Promise<Entity> {
  const named = namedEntity(principal, names, rule);
  // A team token on its own team, most requests, is decided without a query (nor a second promise).
  const entity = ownTeam(principal, named.type, named.id) ?? (await entityFor(store, principal, named.type, named.id));
  const permissionId = rule[entity.type] as PermissionId;
  if (permissionId === "team.delete") authorizeTeamDeletion(principal, { id: entity.id, org_id: entity.orgId });
  else
    authorize(
      principal,
      permissionId,
      names.projectId === undefined ? entity.resource : { ...entity.resource, projectId: names.projectId },
    );
  return entity;
}

/**
 * The same decision for an entity named outside the path (the token a revocation names, the role a device approval
 * picks): 404 unless the principal reaches it, 403 naming the permission unless held there.
 */
export function authorizeEntity(
  store: Repositories,
  principal: Principal,
  type: EntityType,
  id: string,
  permissionId: PermissionId,
): Promise<Entity> {
  const rule: AccessRule = { [type]: permissionId, noun: type === "org" ? "orgs" : "teams" };
  return authorizeRequest(store, principal, rule, type === "org" ? { orgId: id } : { teamId: id });
}
