import type { OrgRestrictions, ProjectRestrictions } from "@latchkey/sdk";

/** A team role's limit to projects, in words: "only projects web, api", "all projects except web". */
function projectsPart(r: ProjectRestrictions): string {
  if (!r.enabled) return "all projects";
  if (r.restrictionMode === "notIn") return r.projects.length ? `all projects except ${r.projects.join(", ")}` : "all projects";
  return r.projects.length ? `only project${r.projects.length === 1 ? "" : "s"} ${r.projects.join(", ")}` : "no project";
}

/**
 * A role's (or token's) restrictions as a person reads them: "none" when off; a team role's projects; an
 * organisation role's teams, each with its own projects when it limits them.
 */
export function describeRestrictions(r: ProjectRestrictions | OrgRestrictions | null | undefined): string {
  if (!r || !r.enabled) return "none";
  if ("teams" in r) {
    if (r.teams.length === 0) return "no team";
    const teams = r.teams.map((t) => (t.restrictions.enabled ? `${t.teamId} (${projectsPart(t.restrictions)})` : t.teamId));
    return `only team${r.teams.length === 1 ? "" : "s"} ${teams.join(", ")}`;
  }
  return projectsPart(r);
}
