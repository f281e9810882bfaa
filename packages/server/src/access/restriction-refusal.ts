import { DomainError, grantAllows, type Grant, type ProjectRestrictions, type Resource } from "@latchkey/core";

/** A project restriction in words: "only projects web, api", "every project except web". */
function inWords(r: ProjectRestrictions): string {
  const list = r.projects.join(", ");
  if (r.restrictionMode === "notIn") return `every project except ${list}`;
  return r.projects.length === 0 ? "no project" : `only project${r.projects.length === 1 ? "" : "s"} ${list}`;
}

/** The project restrictions a grant applies inside `teamId` (null when it does not reach the team at all). */
function restrictionsIn(grant: Grant, teamId: string): ProjectRestrictions | null {
  if (grant.entityType === "team") return grant.restrictions;
  if (!grant.restrictions.enabled) return null;
  return grant.restrictions.teams.find((t) => t.teamId === teamId)?.restrictions ?? null;
}

/**
 * The refusal for a permission the principal holds on the team but not on this project: the project lies outside its
 * role's restrictions. Named as such (message and `details.restrictions`), not as a missing permission it holds.
 * Null when the permission is not held on the team either (then it is missing, plainly).
 */
export function restrictionRefusal(
  grants: readonly Grant[],
  permissionId: string,
  resource: Resource,
  kind: "api" | "session",
): DomainError | null {
  const { projectId, ...team } = resource;
  if (projectId === undefined || team.teamId === undefined) return null;
  const holding = grants.filter((g) => grantAllows(g, permissionId, team));
  if (holding.length === 0) return null;
  const restrictions = holding
    .map((g) => restrictionsIn(g, team.teamId ?? ""))
    .filter((r): r is ProjectRestrictions => r !== null && r.enabled);
  const words = [...new Set(restrictions.map(inWords))].join("; or ");
  const whose = kind === "api" ? "this token's role is restricted to" : "your roles here are restricted to";
  return new DomainError(
    "FORBIDDEN",
    `project ${projectId} is outside the restriction: ${whose} ${words || "other projects"} (${permissionId} is held, but not on this project)`,
    { permission: permissionId, reason: "restriction", projectId, restrictions },
  );
}
