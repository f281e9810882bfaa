import { describe, expect, it } from "vitest";
import {
  DEFAULT_ORG_ROLES,
  DEFAULT_TEAM_ROLES,
  OWNER_ROLE,
  PERMISSIONS,
  permission,
  permissionIds,
  scopeKey,
  type PermissionScope,
  type PermissionSet,
} from "./permissions.js";
import { PermissionSetSchema } from "./schemas/common.js";
import { SLUG_PATTERN } from "./slug.js";

const ids = PERMISSIONS.map((p) => p.id);
const flat = (s: PermissionSet): string[] => [...s.orgScope, ...s.teamScope, ...s.projectScope];

describe("the permission catalogue", () => {
  it("has no duplicate ids", () => {
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(PERMISSIONS.map((p) => [p.id, p] as const))("%s is well formed", (id, p) => {
    expect(id).toMatch(/^(org|team|project)(\.[a-z]+)+$/);
    expect(p.scope).toBe(id.split(".")[0]);
    expect(p.group.length).toBeGreaterThan(0);
    expect(p.label.length).toBeGreaterThan(0);
    expect(["create", "read", "update", "delete", "manage", "verify"]).toContain(p.action);
    // Deleting destroys data and managing hands out access: both must carry the warning.
    // Verifying reads other tokens' state (who holds what): the warning too.
    if (p.action === "delete" || p.action === "manage" || p.action === "verify") expect(p.sensitive).toBe(true);
  });

  it("lists scopes in display order: org, then team, then project", () => {
    const order: PermissionScope[] = ["org", "team", "project"];
    const ranks = PERMISSIONS.map((p) => order.indexOf(p.scope));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  });

  it.each([
    { id: "org.read", scope: "org", action: "read", sensitive: false },
    { id: "org.delete", scope: "org", action: "delete", sensitive: true },
    { id: "org.teams.create", scope: "org", action: "create", sensitive: false },
    { id: "org.members.manage", scope: "org", action: "manage", sensitive: true },
    { id: "org.tokens.manage", scope: "org", action: "manage", sensitive: true },
    { id: "org.ratelimits.manage", scope: "org", action: "manage", sensitive: true },
    { id: "team.read", scope: "team", action: "read", sensitive: false },
    { id: "team.apis.verify", scope: "team", action: "verify", sensitive: true },
    { id: "org.apis.verify", scope: "org", action: "verify", sensitive: true },
    { id: "team.ratelimits.manage", scope: "team", action: "manage", sensitive: true },
    { id: "team.update", scope: "team", action: "update", sensitive: false },
    { id: "team.delete", scope: "team", action: "delete", sensitive: true },
    { id: "team.roles.manage", scope: "team", action: "manage", sensitive: true },
    { id: "team.tokens.manage", scope: "team", action: "manage", sensitive: true },
    { id: "team.audit.read", scope: "team", action: "read", sensitive: false },
    { id: "project.create", scope: "project", action: "create", sensitive: false },
    { id: "project.delete", scope: "project", action: "delete", sensitive: true },
  ] as const)("permission($id) is a $scope $action, sensitive: $sensitive", ({ id, scope, action, sensitive }) => {
    expect(permission(id)).toMatchObject({ id, scope, action, sensitive });
  });

  it.each([
    "",
    "org",
    "team",
    "project",
    "ORG.READ",
    "org.read ",
    " org.read",
    "team.fly",
    "project.*",
    "__proto__",
    "constructor",
    "toString",
  ])("permission(%j) is undefined", (id) => {
    expect(permission(id)).toBeUndefined();
  });
});

describe("permissionIds and scopeKey", () => {
  it.each([
    { scope: "org", key: "orgScope", count: 21 },
    { scope: "team", key: "teamScope", count: 18 },
    { scope: "project", key: "projectScope", count: 4 },
  ] as const)("$scope: $count ids stored under $key", ({ scope, key, count }) => {
    const list = permissionIds(scope);
    expect(list).toHaveLength(count);
    expect(list.every((id) => permission(id)?.scope === scope)).toBe(true);
    expect(scopeKey(scope)).toBe(key);
  });

  it("the three scopes partition the catalogue, in catalogue order", () => {
    expect([...permissionIds("org"), ...permissionIds("team"), ...permissionIds("project")]).toEqual(ids);
  });

  it("returns a fresh array each time", () => {
    const first = permissionIds("team");
    first.push("team.fly");
    expect(permissionIds("team")).not.toContain("team.fly");
  });
});

// Expected membership written out by hand, so a change to the catalogue or to a role is a deliberate edit here.
const TEAM_ROLE_TABLE: [id: string, owner: boolean, admin: boolean, dflt: boolean][] = [
  ["team.read", true, true, true],
  ["team.update", true, true, true],
  ["team.delete", true, false, false],
  ["team.members.read", true, true, true],
  ["team.members.manage", true, true, false],
  ["team.roles.read", true, true, true],
  ["team.roles.manage", true, true, false],
  ["team.tokens.read", true, true, true],
  ["team.tokens.manage", true, true, false],
  ["team.audit.read", true, true, true],
  // Lifting a rate limit is the owner's alone (issue 20): the lowest role could raise its own 100,000-fold.
  ["team.ratelimits.manage", true, false, false],
  // APIs of your own: the default role sees them; managing and verifying (reading other tokens) take an admin.
  ["team.apis.read", true, true, true],
  ["team.apis.manage", true, true, false],
  ["team.apis.verify", true, true, false],
  // Trust policies (issue 19): reading them is plain; managing them mints tokens of a role, as token management does.
  ["team.trustpolicies.read", true, true, true],
  ["team.trustpolicies.manage", true, true, false],
  // Webhooks (issue 18): reading them is plain; adding one sends the team's events elsewhere, so it is sensitive.
  ["team.webhooks.read", true, true, true],
  ["team.webhooks.manage", true, true, false],
  ["project.read", true, true, true],
  ["project.create", true, true, true],
  ["project.update", true, true, true],
  ["project.delete", true, false, false],
];

const ORG_ROLE_TABLE: [id: string, owner: boolean, admin: boolean, member: boolean][] = [
  ["org.read", true, true, true],
  ["org.update", true, true, false],
  ["org.delete", true, false, false],
  ["org.teams.read", true, true, true],
  ["org.teams.create", true, true, false],
  ["org.teams.delete", true, false, false],
  ["org.members.read", true, true, true],
  ["org.members.manage", true, true, false],
  ["org.roles.read", true, true, true],
  ["org.roles.manage", true, true, false],
  ["org.tokens.read", true, true, true],
  ["org.tokens.manage", true, true, false],
  ["org.audit.read", true, true, true],
  ["org.ratelimits.manage", true, false, false],
  ["org.apis.read", true, true, true],
  ["org.apis.manage", true, true, false],
  ["org.apis.verify", true, true, false],
  ["org.trustpolicies.read", true, true, true],
  ["org.trustpolicies.manage", true, true, false],
  ["org.webhooks.read", true, true, true],
  ["org.webhooks.manage", true, true, false],
  ...TEAM_ROLE_TABLE.map(([id, , admin, dflt]): [string, boolean, boolean, boolean] => [
    id,
    true,
    admin,
    // The organisation member reads; it creates and updates nothing.
    dflt && permission(id)?.action === "read",
  ]),
];

const role = <R extends { id: string }>(roles: readonly R[], id: string): R => {
  const found = roles.find((r) => r.id === id);
  if (!found) throw new Error(`no default role ${id}`);
  return found;
};

describe("DEFAULT_TEAM_ROLES", () => {
  it("are owner, admin and default, owner first", () => {
    expect(DEFAULT_TEAM_ROLES.map((r) => r.id)).toEqual(["owner", "admin", "default"]);
    expect(DEFAULT_TEAM_ROLES[0].id).toBe(OWNER_ROLE);
  });

  it("the table above names every team and project permission", () => {
    expect(TEAM_ROLE_TABLE.map(([id]) => id).sort()).toEqual([...permissionIds("team"), ...permissionIds("project")].sort());
  });

  it.each(TEAM_ROLE_TABLE)("%s: owner %s, admin %s, default %s", (id, owner, admin, dflt) => {
    const key = scopeKey(permission(id)!.scope);
    expect(role(DEFAULT_TEAM_ROLES, "owner").permissions[key].includes(id)).toBe(owner);
    expect(role(DEFAULT_TEAM_ROLES, "admin").permissions[key].includes(id)).toBe(admin);
    expect(role(DEFAULT_TEAM_ROLES, "default").permissions[key].includes(id)).toBe(dflt);
  });

  it.each(DEFAULT_TEAM_ROLES.map((r) => [r.id, r] as const))("%s holds no org permission", (_id, r) => {
    expect(r.permissions.orgScope).toEqual([]);
  });

  it("owner holds every team-scope and project-scope permission", () => {
    const owner = role(DEFAULT_TEAM_ROLES, "owner").permissions;
    expect(owner.teamScope).toEqual(permissionIds("team"));
    expect(owner.projectScope).toEqual(permissionIds("project"));
  });

  it("admin holds no delete", () => {
    const admin = flat(role(DEFAULT_TEAM_ROLES, "admin").permissions);
    expect(admin.filter((id) => permission(id)?.action === "delete")).toEqual([]);
  });

  it("default holds only non-sensitive create, read and update", () => {
    for (const id of flat(role(DEFAULT_TEAM_ROLES, "default").permissions)) {
      expect(permission(id)?.sensitive, id).toBe(false);
      expect(["create", "read", "update"], id).toContain(permission(id)?.action);
    }
  });

  it("default within admin within owner", () => {
    const [owner, admin, dflt] = ["owner", "admin", "default"].map((id) => new Set(flat(role(DEFAULT_TEAM_ROLES, id).permissions)));
    expect([...dflt!].every((p) => admin!.has(p))).toBe(true);
    expect([...admin!].every((p) => owner!.has(p))).toBe(true);
    expect(dflt!.size).toBeLessThan(admin!.size);
    expect(admin!.size).toBeLessThan(owner!.size);
  });
});

describe("DEFAULT_ORG_ROLES", () => {
  it("are owner, admin and member, owner first", () => {
    expect(DEFAULT_ORG_ROLES.map((r) => r.id)).toEqual(["owner", "admin", "member"]);
    expect(DEFAULT_ORG_ROLES[0].id).toBe(OWNER_ROLE);
  });

  it("the table above names every permission", () => {
    expect(ORG_ROLE_TABLE.map(([id]) => id).sort()).toEqual([...ids].sort());
  });

  it.each(ORG_ROLE_TABLE)("%s: owner %s, admin %s, member %s", (id, owner, admin, member) => {
    const key = scopeKey(permission(id)!.scope);
    expect(role(DEFAULT_ORG_ROLES, "owner").permissions[key].includes(id)).toBe(owner);
    expect(role(DEFAULT_ORG_ROLES, "admin").permissions[key].includes(id)).toBe(admin);
    expect(role(DEFAULT_ORG_ROLES, "member").permissions[key].includes(id)).toBe(member);
  });

  it("owner holds the whole catalogue", () => {
    expect(flat(role(DEFAULT_ORG_ROLES, "owner").permissions)).toEqual(ids);
  });

  it("member only reads", () => {
    for (const id of flat(role(DEFAULT_ORG_ROLES, "member").permissions)) expect(permission(id)?.action).toBe("read");
  });
});

describe("every default role is a valid role", () => {
  const all = [...DEFAULT_TEAM_ROLES.map((r) => ["team", r.id, r] as const), ...DEFAULT_ORG_ROLES.map((r) => ["org", r.id, r] as const)];

  it.each(all)("%s role %s", (_kind, _id, r) => {
    expect(r.id).toMatch(SLUG_PATTERN);
    expect(r.name.length).toBeGreaterThan(0);
    expect(r.description.length).toBeGreaterThan(0);
    // Each id sits under its own scope key and appears once, so the API schema accepts the set unchanged.
    expect(PermissionSetSchema.parse(r.permissions)).toEqual(r.permissions);
  });
});
