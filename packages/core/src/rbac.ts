import type { z } from "zod";
import type { OrgRestrictionsSchema, ProjectRestrictionsSchema } from "./schemas/common.js";
import { permission, scopeKey, type CatalogueScopeKey, type PermissionSet } from "./permissions.js";

/** A team role's limit to chosen projects: `in` the list, or `notIn` it. Disabled means every project. */
export type ProjectRestrictions = z.output<typeof ProjectRestrictionsSchema>;

/** An organisation role's limit to chosen teams, each optionally to chosen projects. */
export type OrgRestrictions = z.output<typeof OrgRestrictionsSchema>;

/** What one role gives its holder in one team or organisation. A principal holds one grant per role. */
export type Grant =
  | { entityType: "team"; entityId: string; orgId: string | null; permissions: PermissionSet; restrictions: ProjectRestrictions }
  | { entityType: "org"; entityId: string; orgId: string; permissions: PermissionSet; restrictions: OrgRestrictions };

/** The object a permission is checked against; omit `projectId` to ask about the team's projects in general. */
export interface Resource {
  orgId?: string | null;
  teamId?: string;
  projectId?: string;
}

/** Restrictions that allow everything. */
export const UNRESTRICTED: ProjectRestrictions = { enabled: false, projects: [], restrictionMode: "in" };

function projectAllowed(r: ProjectRestrictions, projectId: string | undefined): boolean {
  if (!r.enabled || projectId === undefined) return true;
  const listed = r.projects.includes(projectId);
  return r.restrictionMode === "in" ? listed : !listed;
}

/** The project restrictions an organisation grant applies inside `teamId`, or null when the team is out of reach. */
function orgTeamRestrictions(r: OrgRestrictions, teamId: string): ProjectRestrictions | null {
  if (!r.enabled) return UNRESTRICTED;
  return r.teams.find((t) => t.teamId === teamId)?.restrictions ?? null;
}

/** Whether one grant allows `permissionId` on `resource`. */
export function grantAllows(grant: Grant, permissionId: string, resource: Resource): boolean {
  const entry = permission(permissionId);
  if (!entry) return false;
  if (!grant.permissions[scopeKey(entry.scope)].includes(permissionId)) return false;
  if (entry.scope === "org") return grant.entityType === "org" && resource.orgId === grant.entityId;
  if (resource.teamId === undefined) return false;
  let projects: ProjectRestrictions | null;
  if (grant.entityType === "team") {
    projects = grant.entityId === resource.teamId ? grant.restrictions : null;
  } else {
    projects = resource.orgId === grant.entityId ? orgTeamRestrictions(grant.restrictions, resource.teamId) : null;
  }
  if (!projects) return false;
  return entry.scope === "team" || projectAllowed(projects, resource.projectId);
}

/** Whether any of a principal's grants allows `permissionId` on `resource`. Pure: the whole RBAC decision. */
export function can(grants: readonly Grant[], permissionId: string, resource: Resource): boolean {
  return grants.some((g) => grantAllows(g, permissionId, resource));
}

/** Whether the project set `inner` allows is a subset of the one `outer` allows. */
export function projectsWithin(inner: ProjectRestrictions, outer: ProjectRestrictions): boolean {
  if (!outer.enabled) return true;
  // "notIn nothing" allows every project, so it contains even an unrestricted inner set.
  if (!inner.enabled) return outer.restrictionMode === "notIn" && outer.projects.length === 0;
  const outerSet = new Set(outer.projects);
  if (outer.restrictionMode === "in") {
    return inner.restrictionMode === "in" && inner.projects.every((p) => outerSet.has(p));
  }
  if (inner.restrictionMode === "in") return inner.projects.every((p) => !outerSet.has(p));
  const innerSet = new Set(inner.projects);
  return outer.projects.every((p) => innerSet.has(p));
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((v) => y.has(v));
}

/** Whether `holder` alone allows at least everything `target` allows. */
function grantCovers(holder: Grant, target: Grant): boolean {
  const has = (key: CatalogueScopeKey): boolean => target.permissions[key].every((p) => holder.permissions[key].includes(p));
  if (!has("teamScope") || !has("projectScope")) return false;
  if (target.entityType === "team") {
    if (target.permissions.orgScope.length > 0) return false;
    if (holder.entityType === "team") {
      return holder.entityId === target.entityId && projectsWithin(target.restrictions, holder.restrictions);
    }
    if (holder.entityId !== target.orgId) return false;
    const reach = orgTeamRestrictions(holder.restrictions, target.entityId);
    return reach !== null && projectsWithin(target.restrictions, reach);
  }
  if (holder.entityType !== "org" || holder.entityId !== target.entityId || !has("orgScope")) return false;
  if (!holder.restrictions.enabled) return true;
  if (!target.restrictions.enabled) return false;
  const holderTeams = holder.restrictions.teams;
  return target.restrictions.teams.every((t) => {
    const h = holderTeams.find((x) => x.teamId === t.teamId);
    return h !== undefined && projectsWithin(t.restrictions, h.restrictions);
  });
}

/** Whether `holder` reaches the team or organisation that holds `target` (API ids are unique only there). */
function reachesEntityOf(holder: Grant, target: Grant): boolean {
  if (target.entityType === "org") return holder.entityType === "org" && holder.entityId === target.entityId;
  if (holder.entityType === "team") return holder.entityId === target.entityId;
  return holder.entityId === target.orgId && orgTeamRestrictions(holder.restrictions, target.entityId) !== null;
}

/** The API permissions of `target` that no grant of `holder` reaching the target's entity holds. */
function apiUncovered(holder: readonly Grant[], target: Grant): string[] {
  const reaching = holder.filter((g) => reachesEntityOf(g, target));
  return apiScopeOf(target).filter((name) => !reaching.some((g) => apiScopeOf(g).includes(name)));
}

/** A grant's API permissions; roles stored before APIs existed have none. */
function apiScopeOf(grant: Grant): readonly string[] {
  return grant.permissions.apiScope ?? [];
}

/**
 * No escalation: whether a principal holding `holder` may create or hand out `target` (a role, a token of that
 * role, or a member's role). One of the holder's grants must cover the whole target's catalogue permissions and
 * reach on its own; each API permission (which no project restriction limits) must be held by a grant that reaches
 * the target's team or organisation.
 */
export function covers(holder: readonly Grant[], target: Grant): boolean {
  return holder.some((g) => grantCovers(g, target)) && apiUncovered(holder, target).length === 0;
}

/**
 * Whether the grants allow the API permission `name` (`billing:invoices.read`): one of them lists it. `entity`
 * limits the question to the grants of one team or organisation (a person holds grants in many; API ids are unique
 * only within one organisation). A token has one grant: its role's.
 */
export function canUseApi(grants: readonly Grant[], name: string, entity?: { entityType: "team" | "org"; entityId: string }): boolean {
  return grants.some(
    (g) => (entity === undefined || (g.entityType === entity.entityType && g.entityId === entity.entityId)) && apiScopeOf(g).includes(name),
  );
}

/** The names among `names` that `canUseApi` refuses, in their order: what a 403 names. */
export function missingApiPermissions(
  grants: readonly Grant[],
  names: readonly string[],
  entity?: { entityType: "team" | "org"; entityId: string },
): string[] {
  return names.filter((name) => !canUseApi(grants, name, entity));
}

/**
 * The permissions of `target` that no grant of `holder` holds at all, for a 403 that names them. Empty when the
 * holder has every permission but not over the target's reach (another team, wider project restrictions).
 */
export function uncovered(holder: readonly Grant[], target: Grant): string[] {
  const held = new Set(holder.flatMap((g) => [...g.permissions.orgScope, ...g.permissions.teamScope, ...g.permissions.projectScope]));
  const all = [...target.permissions.orgScope, ...target.permissions.teamScope, ...target.permissions.projectScope];
  return [...all.filter((p) => !held.has(p)), ...apiUncovered(holder, target)];
}

/** Two permission sets hold exactly the same permissions. */
export function samePermissions(a: PermissionSet, b: PermissionSet): boolean {
  return (
    sameSet(a.orgScope, b.orgScope) &&
    sameSet(a.teamScope, b.teamScope) &&
    sameSet(a.projectScope, b.projectScope) &&
    sameSet(a.apiScope ?? [], b.apiScope ?? [])
  );
}

/** Which of a team's projects a principal may act on with one permission, ready to become a SQL filter. */
export type ProjectFilter = { all: true } | { all: false; only: string[] } | { all: false; except: string[] };

/**
 * The exact set of projects of `resource.teamId` on which `grants` allow `permissionId`: the union over every grant
 * that reaches the team. A union of `in A` and `notIn B` sets is everything but (∩B \ ∪A).
 */
export function projectFilter(grants: readonly Grant[], permissionId: string, resource: Resource): ProjectFilter {
  const sets: ProjectRestrictions[] = [];
  for (const g of grants) {
    if (!grantAllows(g, permissionId, { orgId: resource.orgId, teamId: resource.teamId })) continue;
    const r = g.entityType === "team" ? g.restrictions : orgTeamRestrictions(g.restrictions, resource.teamId ?? "");
    if (r) sets.push(r);
  }
  if (sets.some((r) => !r.enabled)) return { all: true };
  const included = new Set(sets.filter((r) => r.restrictionMode === "in").flatMap((r) => r.projects));
  const excluded = sets.filter((r) => r.restrictionMode === "notIn").map((r) => new Set(r.projects));
  if (excluded.length === 0) return { all: false, only: [...included] };
  const [first, ...rest] = excluded;
  const except = [...(first ?? [])].filter((p) => rest.every((s) => s.has(p)) && !included.has(p));
  return { all: false, except };
}
