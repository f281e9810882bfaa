import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { permissionIds, type PermissionSet } from "./permissions.js";
import {
  can,
  covers,
  grantAllows,
  projectsWithin,
  samePermissions,
  uncovered,
  UNRESTRICTED,
  type Grant,
  type OrgRestrictions,
  type ProjectRestrictions,
  type Resource,
} from "./rbac.js";

// ---------------------------------------------------------------------------------------------------------------
// Fixtures. The world: org "acme" holds teams "web" and "api"; org "globex" holds team "ops"; team "solo" has no org.
// ---------------------------------------------------------------------------------------------------------------

const perms = (...ids: string[]): PermissionSet => ({
  orgScope: ids.filter((id) => id.startsWith("org.")),
  teamScope: ids.filter((id) => id.startsWith("team.")),
  projectScope: ids.filter((id) => id.startsWith("project.")),
});

const ALL: PermissionSet = {
  orgScope: permissionIds("org"),
  teamScope: permissionIds("team"),
  projectScope: permissionIds("project"),
};
const NONE: PermissionSet = { orgScope: [], teamScope: [], projectScope: [] };

const inP = (...projects: string[]): ProjectRestrictions => ({ enabled: true, projects, restrictionMode: "in" });
const notInP = (...projects: string[]): ProjectRestrictions => ({ enabled: true, projects, restrictionMode: "notIn" });
/** Disabled restrictions whose leftover list must be ignored. */
const offP = (mode: "in" | "notIn", ...projects: string[]): ProjectRestrictions => ({
  enabled: false,
  projects,
  restrictionMode: mode,
});

const ALLP = UNRESTRICTED;

const ANY_TEAM: OrgRestrictions = { enabled: false, teams: [] };
const teamList = (byTeam: Record<string, ProjectRestrictions>) =>
  Object.entries(byTeam).map(([teamId, restrictions]) => ({ teamId, restrictions }));
const teams = (byTeam: Record<string, ProjectRestrictions>): OrgRestrictions => ({ enabled: true, teams: teamList(byTeam) });
/** Disabled team restrictions whose leftover list must be ignored. */
const offTeams = (byTeam: Record<string, ProjectRestrictions>): OrgRestrictions => ({ enabled: false, teams: teamList(byTeam) });

const ORG_OF: Record<string, string | null> = { web: "acme", api: "acme", ops: "globex", solo: null };

const team = (teamId: string, permissions: PermissionSet, restrictions: ProjectRestrictions = UNRESTRICTED): Grant => ({
  entityType: "team",
  entityId: teamId,
  orgId: ORG_OF[teamId] ?? null,
  permissions,
  restrictions,
});

const org = (orgId: string, permissions: PermissionSet, restrictions: OrgRestrictions = ANY_TEAM): Grant => ({
  entityType: "org",
  entityId: orgId,
  orgId,
  permissions,
  restrictions,
});

/** A resource in team `teamId` (with the team's real org), optionally one project of it. */
const inTeam = (teamId: string, projectId?: string): Resource => ({
  orgId: ORG_OF[teamId] ?? null,
  teamId,
  ...(projectId === undefined ? {} : { projectId }),
});

// ---------------------------------------------------------------------------------------------------------------
// grantAllows / can
// ---------------------------------------------------------------------------------------------------------------

type AllowRow = [name: string, allowed: boolean, grant: Grant, permission: string, resource: Resource];

describe("grantAllows with a team grant", () => {
  const cases: AllowRow[] = [
    ["team permission in its own team", true, team("web", ALL), "team.read", inTeam("web")],
    ["team permission in another team of the same org", false, team("web", ALL), "team.read", inTeam("api")],
    ["team permission in a team of another org", false, team("web", ALL), "team.read", inTeam("ops")],
    ["team permission with no team given", false, team("web", ALL), "team.read", { orgId: "acme" }],
    ["team permission on an empty resource", false, team("web", ALL), "team.read", {}],
    ["team grant of a team without an org", true, team("solo", ALL), "team.update", inTeam("solo")],
    ["team permission ignores project restrictions", true, team("web", ALL, inP("a")), "team.update", inTeam("web", "b")],
    ["team permission not in the role", false, team("web", perms("team.read")), "team.update", inTeam("web")],
    ["team grant with no permissions", false, team("web", NONE), "team.read", inTeam("web")],
    ["org permission held by a team role is never usable", false, team("web", ALL), "org.read", { orgId: "acme", teamId: "web" }],
    ["project permission, unrestricted, any project", true, team("web", ALL), "project.delete", inTeam("web", "a")],
    ["project permission, unrestricted, team level", true, team("web", ALL), "project.create", inTeam("web")],
    ["project permission in another team", false, team("web", ALL), "project.read", inTeam("api", "a")],
    ["project permission not in the role", false, team("web", perms("project.read")), "project.delete", inTeam("web", "a")],
    ["in [a]: a", true, team("web", ALL, inP("a")), "project.read", inTeam("web", "a")],
    ["in [a]: b", false, team("web", ALL, inP("a")), "project.read", inTeam("web", "b")],
    ["in [a]: team level", true, team("web", ALL, inP("a")), "project.read", inTeam("web")],
    ["in [a, b]: b", true, team("web", ALL, inP("a", "b")), "project.update", inTeam("web", "b")],
    ["in []: any project", false, team("web", ALL, inP()), "project.read", inTeam("web", "a")],
    ["in []: team level", true, team("web", ALL, inP()), "project.read", inTeam("web")],
    ["notIn [a]: a", false, team("web", ALL, notInP("a")), "project.read", inTeam("web", "a")],
    ["notIn [a]: b", true, team("web", ALL, notInP("a")), "project.read", inTeam("web", "b")],
    ["notIn [a]: team level", true, team("web", ALL, notInP("a")), "project.read", inTeam("web")],
    ["notIn []: any project", true, team("web", ALL, notInP()), "project.read", inTeam("web", "a")],
    ["disabled with a leftover in-list: unlisted project", true, team("web", ALL, offP("in", "a")), "project.read", inTeam("web", "b")],
    ["disabled with a leftover notIn-list: listed project", true, team("web", ALL, offP("notIn", "a")), "project.read", inTeam("web", "a")],
    ["project ids are matched exactly", false, team("web", ALL, inP("a")), "project.read", inTeam("web", "a-2")],
  ];

  it.each(cases)("%s -> %s", (_name, allowed, grant, permission, resource) => {
    expect(grantAllows(grant, permission, resource)).toBe(allowed);
    expect(can([grant], permission, resource)).toBe(allowed);
  });
});

describe("grantAllows with an org grant", () => {
  const cases: AllowRow[] = [
    ["org permission on its own org", true, org("acme", ALL), "org.read", { orgId: "acme" }],
    ["org permission asked with a team of its org", true, org("acme", ALL), "org.update", inTeam("web")],
    ["org permission on another org", false, org("acme", ALL), "org.read", { orgId: "globex" }],
    ["org permission with no org given", false, org("acme", ALL), "org.read", {}],
    ["org permission with a null org", false, org("acme", ALL), "org.read", { orgId: null }],
    ["org permission not in the role", false, org("acme", perms("org.read")), "org.delete", { orgId: "acme" }],
    ["org permission is not limited by team restrictions", true, org("acme", ALL, teams({})), "org.read", { orgId: "acme" }],
    ["team permission on a team of its org", true, org("acme", ALL), "team.read", inTeam("api")],
    ["team permission on a team of another org", false, org("acme", ALL), "team.read", inTeam("ops")],
    ["team permission on a team without an org", false, org("acme", ALL), "team.read", inTeam("solo")],
    ["team permission whose resource names another org", false, org("acme", ALL), "team.read", { orgId: "globex", teamId: "web" }],
    ["team permission whose resource names no org", false, org("acme", ALL), "team.read", { teamId: "web" }],
    ["team permission with no team given", false, org("acme", ALL), "team.read", { orgId: "acme" }],
    ["team permission not in the role", false, org("acme", perms("org.read", "team.read")), "team.update", inTeam("web")],
    ["project permission, unrestricted", true, org("acme", ALL), "project.delete", inTeam("web", "a")],
    ["project permission on a team of another org", false, org("acme", ALL), "project.read", inTeam("ops", "a")],
    ["teams [web]: web", true, org("acme", ALL, teams({ web: ALLP })), "team.read", inTeam("web")],
    ["teams [web]: api", false, org("acme", ALL, teams({ web: ALLP })), "team.read", inTeam("api")],
    ["teams [web]: project of api", false, org("acme", ALL, teams({ web: ALLP })), "project.read", inTeam("api", "a")],
    ["teams []: no team at all", false, org("acme", ALL, teams({})), "team.read", inTeam("web")],
    ["teams [web in [a]]: web/a", true, org("acme", ALL, teams({ web: inP("a") })), "project.read", inTeam("web", "a")],
    ["teams [web in [a]]: web/b", false, org("acme", ALL, teams({ web: inP("a") })), "project.read", inTeam("web", "b")],
    ["teams [web in [a]]: web, team level", true, org("acme", ALL, teams({ web: inP("a") })), "project.create", inTeam("web")],
    ["teams [web in [a]]: team permission on web", true, org("acme", ALL, teams({ web: inP("a") })), "team.update", inTeam("web", "b")],
    ["teams [web notIn [a]]: web/a", false, org("acme", ALL, teams({ web: notInP("a") })), "project.read", inTeam("web", "a")],
    ["teams [web notIn [a]]: web/b", true, org("acme", ALL, teams({ web: notInP("a") })), "project.read", inTeam("web", "b")],
    ["teams [web in [a], api]: api/b", true, org("acme", ALL, teams({ web: inP("a"), api: ALLP })), "project.read", inTeam("api", "b")],
    ["disabled with a leftover team list: unlisted team", true, org("acme", ALL, offTeams({ web: inP("a") })), "team.read", inTeam("api")],
    [
      "disabled with a leftover team list: listed team's other project",
      true,
      org("acme", ALL, offTeams({ web: inP("a") })),
      "project.read",
      inTeam("web", "b"),
    ],
    ["a team listed under another org is still out of reach", false, org("acme", ALL, teams({ ops: ALLP })), "team.read", inTeam("ops")],
  ];

  it.each(cases)("%s -> %s", (_name, allowed, grant, permission, resource) => {
    expect(grantAllows(grant, permission, resource)).toBe(allowed);
    expect(can([grant], permission, resource)).toBe(allowed);
  });
});

describe("unknown and misplaced permission ids are never allowed", () => {
  // Every role here holds the id in every scope key, so only the catalogue look-up can refuse it.
  const everywhere = (id: string): PermissionSet => ({ orgScope: [id], teamScope: [id], projectScope: [id] });
  const ids = ["", "team", "team.fly", "TEAM.READ", "team.read ", "project.*", "*", "__proto__", "constructor"];

  it.each(ids)("%j", (id) => {
    expect(can([team("web", everywhere(id)), org("acme", everywhere(id))], id, inTeam("web", "a"))).toBe(false);
    expect(can([org("acme", everywhere(id))], id, { orgId: "acme" })).toBe(false);
  });

  it.each([
    { name: "team permission stored under projectScope", set: { ...NONE, projectScope: ["team.read"] }, permission: "team.read" },
    { name: "project permission stored under teamScope", set: { ...NONE, teamScope: ["project.read"] }, permission: "project.read" },
    { name: "org permission stored under teamScope", set: { ...NONE, teamScope: ["org.read"] }, permission: "org.read" },
  ])("$name", ({ set, permission }) => {
    expect(can([team("web", set), org("acme", set)], permission, { ...inTeam("web", "a") })).toBe(false);
  });
});

describe("can combines grants without mixing them", () => {
  const split = [team("web", perms("project.read"), inP("a")), team("web", perms("project.delete"), inP("b"))];
  const cases: [name: string, allowed: boolean, grants: Grant[], permission: string, resource: Resource][] = [
    ["no grants", false, [], "team.read", inTeam("web")],
    ["second grant allows", true, [team("api", ALL), team("web", perms("team.read"))], "team.read", inTeam("web")],
    [
      "a permission of one team does not leak to another",
      false,
      [team("api", ALL), team("web", perms("team.read"))],
      "team.update",
      inTeam("web"),
    ],
    ["one grant's permission is not combined with another's projects", false, split, "project.delete", inTeam("web", "a")],
    ["each grant within its own projects", true, split, "project.delete", inTeam("web", "b")],
    [
      "org grant reaches a team the team grant does not",
      true,
      [team("web", ALL), org("acme", perms("team.read"))],
      "team.read",
      inTeam("api"),
    ],
    ["neither grant reaches another org", false, [team("web", ALL), org("acme", ALL)], "team.read", inTeam("ops")],
  ];

  it.each(cases)("%s -> %s", (_name, allowed, grants, permission, resource) => {
    expect(can(grants, permission, resource)).toBe(allowed);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// projectsWithin
// ---------------------------------------------------------------------------------------------------------------

describe("projectsWithin (inner allows a subset of what outer allows)", () => {
  const cases: [why: string, within: boolean, inner: ProjectRestrictions, outer: ProjectRestrictions][] = [
    // outer: every project
    ["all within all", true, ALLP, ALLP],
    ["in within all", true, inP("a"), ALLP],
    ["nothing within all", true, inP(), ALLP],
    ["notIn within all", true, notInP("a"), ALLP],
    ["disabled lists are ignored on both sides", true, offP("notIn", "a"), offP("in", "b")],
    // outer: in
    ["all is wider than a list", false, ALLP, inP("a", "b")],
    ["a disabled inner is all, whatever its list", false, offP("in", "a"), inP("a", "b")],
    ["sub-list", true, inP("a"), inP("a", "b")],
    ["same list", true, inP("a", "b"), inP("a", "b")],
    ["same list, other order", true, inP("b", "a"), inP("a", "b")],
    ["duplicates in the inner list", true, inP("a", "a"), inP("a")],
    ["one project outside", false, inP("a", "c"), inP("a", "b")],
    ["nothing within a list", true, inP(), inP("a")],
    ["nothing within nothing", true, inP(), inP()],
    ["something within nothing", false, inP("a"), inP()],
    ["all-but is wider than any list", false, notInP("c"), inP("a", "b")],
    ["notIn nothing is all", false, notInP(), inP("a")],
    // outer: notIn
    ["listed project not excluded", true, inP("a"), notInP("b")],
    ["listed project excluded", false, inP("a", "b"), notInP("b")],
    ["nothing within all-but", true, inP(), notInP("b")],
    ["excludes more", true, notInP("a", "b"), notInP("a")],
    ["excludes the same", true, notInP("a"), notInP("a")],
    ["excludes less", false, notInP("a"), notInP("a", "b")],
    ["excludes another", false, notInP("c"), notInP("a")],
    ["anything within notIn nothing", true, notInP("a"), notInP()],
    ["notIn nothing within notIn nothing", true, notInP(), notInP()],
    ["all is wider than all-but-one", false, ALLP, notInP("a")],
    // notIn [] allows every project (grantAllows agrees), so it is exactly as wide as disabled restrictions.
    ["all within notIn nothing (= all)", true, ALLP, notInP()],
  ];

  it.each(cases)("%s -> %s", (_why, within, inner, outer) => {
    expect(projectsWithin(inner, outer)).toBe(within);
  });

  // Restrictions only ask whether a project is listed, so every unlisted project behaves alike: checking the listed
  // ones plus one fresh project decides inclusion exactly. The oracle asks grantAllows, the code that enforces them.
  it("agrees with grantAllows on every pair of restrictions over two projects", () => {
    const universe = ["a", "b", "fresh"];
    const lists = [[], ["a"], ["b"], ["a", "b"]];
    const all: ProjectRestrictions[] = [];
    for (const enabled of [false, true]) {
      for (const restrictionMode of ["in", "notIn"] as const) {
        for (const projects of lists) all.push({ enabled, projects, restrictionMode });
      }
    }
    const allows = (r: ProjectRestrictions, p: string) => grantAllows(team("web", ALL, r), "project.read", inTeam("web", p));
    const wrong: string[] = [];
    for (const inner of all) {
      for (const outer of all) {
        const expected = universe.every((p) => !allows(inner, p) || allows(outer, p));
        if (projectsWithin(inner, outer) !== expected) wrong.push(`${JSON.stringify({ inner, outer })} expected ${expected}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// covers: no escalation
// ---------------------------------------------------------------------------------------------------------------

type CoverRow = [name: string, covered: boolean, holder: Grant[], target: Grant];

describe("covers a team target", () => {
  const cases: CoverRow[] = [
    ["same team, same permissions, unrestricted", true, [team("web", ALL)], team("web", { ...ALL, orgScope: [] })],
    ["same team, fewer permissions", true, [team("web", perms("team.read", "project.read"))], team("web", perms("project.read"))],
    ["same team, no permissions", true, [team("web", perms("team.read"))], team("web", NONE)],
    ["holder lacks a team permission", false, [team("web", perms("team.read"))], team("web", perms("team.read", "team.update"))],
    ["holder lacks a project permission", false, [team("web", perms("project.read"))], team("web", perms("project.delete"))],
    ["another team", false, [team("api", ALL)], team("web", perms("team.read"))],
    ["target holds an org permission", false, [team("web", ALL), org("acme", ALL)], team("web", perms("org.read"))],
    ["holder unrestricted, target in [a]", true, [team("web", ALL)], team("web", perms("project.read"), inP("a"))],
    ["holder in [a, b], target in [a]", true, [team("web", ALL, inP("a", "b"))], team("web", perms("project.read"), inP("a"))],
    ["holder in [a], target in [a, b]", false, [team("web", ALL, inP("a"))], team("web", perms("project.read"), inP("a", "b"))],
    ["holder in [a], target unrestricted", false, [team("web", ALL, inP("a"))], team("web", perms("team.read"))],
    ["holder notIn [a], target notIn [a, b]", true, [team("web", ALL, notInP("a"))], team("web", perms("project.read"), notInP("a", "b"))],
    ["holder notIn [a, b], target notIn [a]", false, [team("web", ALL, notInP("a", "b"))], team("web", perms("project.read"), notInP("a"))],
    ["holder in [a], target notIn [b]", false, [team("web", ALL, inP("a"))], team("web", perms("project.read"), notInP("b"))],
    ["holder notIn [a], target in [b]", true, [team("web", ALL, notInP("a"))], team("web", perms("project.read"), inP("b"))],
    ["team without an org, same team", true, [team("solo", ALL)], team("solo", perms("team.read"))],
    ["org grant of the target's org", true, [org("acme", ALL)], team("web", { ...ALL, orgScope: [] })],
    ["org grant of another org", false, [org("globex", ALL)], team("web", perms("team.read"))],
    ["org grant, target team has no org", false, [org("acme", ALL)], team("solo", perms("team.read"))],
    ["org grant lacks a target permission", false, [org("acme", perms("org.read", "team.read"))], team("web", perms("team.update"))],
    ["org grant restricted to the target's team", true, [org("acme", ALL, teams({ web: ALLP }))], team("web", perms("team.read"))],
    ["org grant restricted to another team", false, [org("acme", ALL, teams({ api: ALLP }))], team("web", perms("team.read"))],
    ["org grant restricted to no team", false, [org("acme", ALL, teams({}))], team("web", perms("team.read"))],
    [
      "org grant's team projects include the target's",
      true,
      [org("acme", ALL, teams({ web: inP("a", "b") }))],
      team("web", perms("project.read"), inP("b")),
    ],
    [
      "org grant's team projects narrower than the target's",
      false,
      [org("acme", ALL, teams({ web: inP("a") }))],
      team("web", perms("project.read")),
    ],
    [
      "org grant disabled with a leftover team list",
      true,
      [org("acme", ALL, offTeams({ api: inP("a") }))],
      team("web", perms("project.read")),
    ],
  ];

  it.each(cases)("%s -> %s", (_name, covered, holder, target) => {
    expect(covers(holder, target)).toBe(covered);
  });
});

describe("covers an org target", () => {
  const cases: CoverRow[] = [
    ["same org, everything, unrestricted", true, [org("acme", ALL)], org("acme", ALL)],
    ["same org, fewer permissions", true, [org("acme", ALL)], org("acme", perms("org.read", "team.read"))],
    ["another org", false, [org("globex", ALL)], org("acme", perms("org.read"))],
    ["a team grant never covers an org target", false, [team("web", ALL), team("api", ALL)], org("acme", perms("team.read"))],
    ["holder lacks an org permission", false, [org("acme", perms("org.read"))], org("acme", perms("org.read", "org.delete"))],
    ["holder lacks a team permission", false, [org("acme", perms("org.read"))], org("acme", perms("team.read"))],
    ["holder lacks a project permission", false, [org("acme", perms("project.read"))], org("acme", perms("project.delete"))],
    ["holder restricted, target unrestricted", false, [org("acme", ALL, teams({ web: ALLP, api: ALLP }))], org("acme", perms("team.read"))],
    [
      "holder [web, api], target [web]",
      true,
      [org("acme", ALL, teams({ web: ALLP, api: ALLP }))],
      org("acme", perms("team.read"), teams({ web: ALLP })),
    ],
    [
      "holder [web], target [web, api]",
      false,
      [org("acme", ALL, teams({ web: ALLP }))],
      org("acme", perms("team.read"), teams({ web: ALLP, api: ALLP })),
    ],
    ["holder [], target []", true, [org("acme", ALL, teams({}))], org("acme", perms("team.read"), teams({}))],
    [
      "holder [web in [a]], target [web]",
      false,
      [org("acme", ALL, teams({ web: inP("a") }))],
      org("acme", perms("project.read"), teams({ web: ALLP })),
    ],
    [
      "holder [web], target [web in [a]]",
      true,
      [org("acme", ALL, teams({ web: ALLP }))],
      org("acme", perms("project.read"), teams({ web: inP("a") })),
    ],
    [
      "holder [web in [a, b]], target [web in [b]]",
      true,
      [org("acme", ALL, teams({ web: inP("a", "b") }))],
      org("acme", perms("project.read"), teams({ web: inP("b") })),
    ],
    [
      "holder [web notIn [a]], target [web in [a]]",
      false,
      [org("acme", ALL, teams({ web: notInP("a") }))],
      org("acme", perms("project.read"), teams({ web: inP("a") })),
    ],
    ["holder unrestricted, target restricted", true, [org("acme", ALL)], org("acme", ALL, teams({ web: inP("a") }))],
  ];

  it.each(cases)("%s -> %s", (_name, covered, holder, target) => {
    expect(covers(holder, target)).toBe(covered);
  });
});

describe("covers needs one grant to cover the whole target", () => {
  const cases: CoverRow[] = [
    ["no grants", false, [], team("web", NONE)],
    [
      "permissions split across two grants",
      false,
      [team("web", perms("team.read")), team("web", perms("team.update"))],
      team("web", perms("team.read", "team.update")),
    ],
    [
      "projects split across two grants",
      false,
      [team("web", ALL, inP("a")), team("web", ALL, inP("b"))],
      team("web", perms("project.read"), inP("a", "b")),
    ],
    [
      "a narrow grant then a wide one",
      true,
      [team("web", perms("team.read")), team("web", ALL)],
      team("web", perms("team.read", "team.update")),
    ],
    [
      "a team grant of another team and an org grant",
      true,
      [team("api", ALL), org("acme", perms("team.read"))],
      team("web", perms("team.read")),
    ],
  ];

  it.each(cases)("%s -> %s", (_name, covered, holder, target) => {
    expect(covers(holder, target)).toBe(covered);
  });
});

describe("uncovered names the permissions the holder lacks", () => {
  const cases: [name: string, missing: string[], holder: Grant[], target: Grant][] = [
    ["nothing missing", [], [team("web", ALL)], team("web", perms("team.read", "project.read"))],
    ["no grants: everything", ["team.read", "project.delete"], [], team("web", perms("team.read", "project.delete"))],
    [
      "in scope order org, team, project",
      ["org.delete", "team.update", "project.delete"],
      [org("acme", perms("team.read"))],
      org("acme", perms("project.delete", "team.read", "team.update", "org.delete")),
    ],
    [
      "held across grants",
      ["project.delete"],
      [team("web", perms("team.read")), team("web", perms("project.read"))],
      team("web", perms("team.read", "project.read", "project.delete")),
    ],
    ["org permission of a team target", ["org.read"], [team("web", { ...ALL, orgScope: [] })], team("web", perms("org.read", "team.read"))],
  ];

  it.each(cases)("%s", (_name, missing, holder, target) => {
    expect(uncovered(holder, target)).toEqual(missing);
  });
});

describe("samePermissions", () => {
  const cases: [name: string, same: boolean, a: PermissionSet, b: PermissionSet][] = [
    ["both empty", true, NONE, NONE],
    [
      "same ids in another order",
      true,
      perms("team.read", "team.update", "project.read"),
      perms("project.read", "team.update", "team.read"),
    ],
    ["one more id", false, perms("team.read"), perms("team.read", "team.update")],
    ["another id", false, perms("team.read"), perms("team.update")],
    ["another scope", false, perms("org.read"), perms("team.read")],
    ["same id under another scope key", false, { ...NONE, teamScope: ["team.read"] }, { ...NONE, projectScope: ["team.read"] }],
    // Duplicates are not a different permission: the sets {team.read} and {team.read, team.update} differ.
    [
      "a duplicate does not stand in for a missing id",
      false,
      { ...NONE, teamScope: ["team.read", "team.read"] },
      perms("team.read", "team.update"),
    ],
    ["a duplicate is the same permission", true, { ...NONE, teamScope: ["team.read", "team.read"] }, perms("team.read")],
  ];

  it.each(cases)("%s -> %s", (_name, same, a, b) => {
    expect(samePermissions(a, b)).toBe(same);
    expect(samePermissions(b, a)).toBe(same);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Soundness of no escalation: whatever a covered target allows, the holder allows too.
// ---------------------------------------------------------------------------------------------------------------

describe("covers is sound against can", () => {
  const ORG_PERMS = ["org.read", "org.update"];
  const TEAM_PERMS = ["team.read", "team.update"];
  const PROJECT_PERMS = ["project.read", "project.delete"];
  // Project "c" and team "fresh" (of acme) appear in no generated list: they stand for every unlisted project and team.
  const ORG_OF_WORLD: Record<string, string | null> = { ...ORG_OF, fresh: "acme" };
  const resources: Resource[] = [
    { orgId: "acme" },
    { orgId: "globex" },
    ...Object.entries(ORG_OF_WORLD).flatMap(([teamId, orgId]) =>
      [undefined, "a", "b", "c"].map((projectId) => ({ orgId, teamId, ...(projectId ? { projectId } : {}) })),
    ),
  ];

  const projectRestrictions = fc.record({
    enabled: fc.boolean(),
    projects: fc.subarray(["a", "b"]),
    restrictionMode: fc.constantFrom("in" as const, "notIn" as const),
  });
  const permissionSet = fc.record({
    orgScope: fc.subarray(ORG_PERMS),
    teamScope: fc.subarray(TEAM_PERMS),
    projectScope: fc.subarray(PROJECT_PERMS),
  });
  const teamGrant: fc.Arbitrary<Grant> = fc
    .record({ teamId: fc.constantFrom("web", "api", "ops", "solo"), permissions: permissionSet, restrictions: projectRestrictions })
    .map(({ teamId, permissions, restrictions }) => team(teamId, permissions, restrictions));
  const orgGrant: fc.Arbitrary<Grant> = fc
    .record({
      orgId: fc.constantFrom("acme", "globex"),
      permissions: permissionSet,
      enabled: fc.boolean(),
      list: fc.array(fc.record({ teamId: fc.constantFrom("web", "api", "ops"), restrictions: projectRestrictions }), { maxLength: 3 }),
    })
    .map(({ orgId, permissions, enabled, list }) => org(orgId, permissions, { enabled, teams: list }));
  const grant = fc.oneof(teamGrant, orgGrant);

  it("a covered target allows nothing its holder does not, and leaves nothing uncovered", () => {
    let coveredRuns = 0;
    fc.assert(
      fc.property(fc.array(grant, { minLength: 1, maxLength: 3 }), grant, (holder, target) => {
        if (!covers(holder, target)) return;
        coveredRuns++;
        expect(uncovered(holder, target)).toEqual([]);
        for (const p of [...ORG_PERMS, ...TEAM_PERMS, ...PROJECT_PERMS]) {
          for (const r of resources) {
            if (grantAllows(target, p, r)) expect({ p, r, holderAllows: can(holder, p, r) }).toEqual({ p, r, holderAllows: true });
          }
        }
      }),
      { numRuns: 3000 },
    );
    // Guard against a generator that never produces a covered target, which would make this test vacuous.
    expect(coveredRuns).toBeGreaterThan(50);
  });
});
