import { describe, expect, it } from "vitest";
import { parseApiPermission } from "./api-permissions.js";
import { DEFAULT_ORG_ROLES, DEFAULT_TEAM_ROLES, type PermissionSet } from "./permissions.js";
import { canUseApi, covers, missingApiPermissions, samePermissions, uncovered, UNRESTRICTED, type Grant } from "./rbac.js";
import { PermissionSetSchema } from "./schemas/common.js";
import { ApiCreate } from "./schemas/apis.js";

const set = (apiScope: string[], teamScope: string[] = []): PermissionSet => ({ orgScope: [], teamScope, projectScope: [], apiScope });
const team = (id: string, orgId: string | null, permissions: PermissionSet): Grant => ({
  entityType: "team",
  entityId: id,
  orgId,
  permissions,
  restrictions: UNRESTRICTED,
});
const org = (id: string, permissions: PermissionSet, teams?: string[]): Grant => ({
  entityType: "org",
  entityId: id,
  orgId: id,
  permissions,
  restrictions: teams
    ? { enabled: true, teams: teams.map((teamId) => ({ teamId, restrictions: UNRESTRICTED })) }
    : { enabled: false, teams: [] },
});

describe("parseApiPermission", () => {
  it.each([
    ["billing:invoices.read", { apiId: "billing", permissionId: "invoices.read" }],
    ["a:b", { apiId: "a", permissionId: "b" }],
    ["my-api:read_all-things.now", { apiId: "my-api", permissionId: "read_all-things.now" }],
    ["billing", null],
    [":read", null],
    ["billing:", null],
    ["Billing:read", null],
    ["billing:Read", null],
    ["billing:invoices..read", null],
    ["billing:.read", null],
    ["billing:read.", null],
    ["billing:in voices", null],
    ["billing:a:b", null],
    [`billing:${"a".repeat(65)}`, null],
    [`${"a".repeat(65)}:read`, null],
  ])("%s", (name, expected) => {
    expect(parseApiPermission(name)).toEqual(expected);
  });
});

describe("canUseApi", () => {
  const grants = [team("web", "acme", set(["billing:invoices.read"])), org("acme", set(["crm:contacts.write"]))];
  it.each([
    ["billing:invoices.read", undefined, true],
    ["crm:contacts.write", undefined, true],
    ["billing:invoices.write", undefined, false],
    ["billing:invoices.read", { entityType: "team" as const, entityId: "web" }, true],
    ["billing:invoices.read", { entityType: "team" as const, entityId: "api" }, false],
    ["billing:invoices.read", { entityType: "org" as const, entityId: "acme" }, false],
    ["crm:contacts.write", { entityType: "org" as const, entityId: "acme" }, true],
  ])("%s in %j -> %s", (name, entity, expected) => {
    expect(canUseApi(grants, name, entity)).toBe(expected);
  });

  it("a team and an organisation of the same id do not share API permissions", () => {
    expect(canUseApi([org("acme", set(["billing:read"]))], "billing:read", { entityType: "team", entityId: "acme" })).toBe(false);
    expect(canUseApi([team("acme", null, set(["billing:read"]))], "billing:read", { entityType: "org", entityId: "acme" })).toBe(false);
  });

  it("a role from before APIs existed (no apiScope) grants none", () => {
    expect(canUseApi([team("web", null, { orgScope: [], teamScope: [], projectScope: [] })], "billing:read")).toBe(false);
  });

  it("missingApiPermissions names exactly the ones not held, in order", () => {
    expect(missingApiPermissions(grants, ["x:y", "billing:invoices.read", "a:b"])).toEqual(["x:y", "a:b"]);
  });
});

describe("no escalation through apiScope", () => {
  const target = team("web", "acme", set(["billing:invoices.read"]));
  it.each([
    ["the same team's grant holding it", [team("web", "acme", set(["billing:invoices.read"]))], true],
    ["the same team's grant without it", [team("web", "acme", set([]))], false],
    ["another team's grant holding the same name", [team("api", "acme", set(["billing:invoices.read"]))], false],
    ["its organisation's grant holding it", [org("acme", set(["billing:invoices.read"]))], true],
    ["its organisation's grant restricted to other teams", [org("acme", set(["billing:invoices.read"]), ["api"])], false],
    ["another organisation's grant", [org("globex", set(["billing:invoices.read"]))], false],
    [
      "catalogue permissions from one grant, the API permission from another that reaches the team",
      [team("web", "acme", set([], ["team.read"])), org("acme", set(["billing:invoices.read"]))],
      true,
    ],
  ])("%s -> %s", (_, holder, expected) => {
    expect(covers(holder, target)).toBe(expected);
    expect(uncovered(holder, target).length === 0 || !expected).toBe(true);
  });

  it("uncovered names the API permissions missing", () => {
    expect(uncovered([team("web", "acme", set(["a:b"]))], team("web", "acme", set(["a:b", "c:d"])))).toEqual(["c:d"]);
  });

  // The catalogue part is covered by the first grant in each case, so only where the API permission comes from decides.
  it.each([
    ["another team of the same organisation", [team("web", "acme", set([])), team("api", "acme", set(["billing:invoices.read"]))]],
    ["an organisation that is not the team's", [team("web", "acme", set([])), org("globex", set(["billing:invoices.read"]))]],
    [
      "its organisation's grant restricted to other teams",
      [team("web", "acme", set([])), org("acme", set(["billing:invoices.read"]), ["api"])],
    ],
  ])("an API permission held only by %s is not handed out in the team", (_, holder) => {
    expect(covers(holder, target)).toBe(false);
    expect(uncovered(holder, target)).toEqual(["billing:invoices.read"]);
  });

  it.each([
    ["another organisation", org("globex", set(["crm:x"]))],
    ["a team whose id is the organisation's", team("acme", null, set(["crm:x"]))],
  ])("an organisation role's API permission held only by %s is not handed out", (_, other) => {
    const holder = [org("acme", set([])), other];
    expect(covers(holder, org("acme", set(["crm:x"])))).toBe(false);
    expect(uncovered(holder, org("acme", set(["crm:x"])))).toEqual(["crm:x"]);
  });

  it("an organisation grant restricted to some teams still hands out its API permissions in its organisation", () => {
    expect(covers([org("acme", set(["crm:x"]), ["web"])], org("acme", set(["crm:x"]), ["web"]))).toBe(true);
  });

  it("an organisation role's API permissions need an organisation grant", () => {
    expect(covers([team("web", "acme", set(["crm:x"]))], org("acme", set(["crm:x"])))).toBe(false);
    expect(covers([org("acme", set(["crm:x"]))], org("acme", set(["crm:x"])))).toBe(true);
  });
});

describe("apiScope in permission sets", () => {
  it("absent means none, and repeats collapse", () => {
    expect(PermissionSetSchema.parse({}).apiScope).toEqual([]);
    expect(PermissionSetSchema.parse({ apiScope: ["a:b", "a:b"] }).apiScope).toEqual(["a:b"]);
  });

  it.each([["billing"], ["billing:Read"], ["BILLING:read"], ["team.read"], ["x".repeat(200)]])("refuses %s", (name) => {
    expect(PermissionSetSchema.safeParse({ apiScope: [name] }).success).toBe(false);
  });

  it("samePermissions compares apiScope, absent equal to empty", () => {
    expect(samePermissions(set(["a:b"]), set(["a:b"]))).toBe(true);
    expect(samePermissions(set(["a:b"]), set(["a:c"]))).toBe(false);
    expect(samePermissions({ orgScope: [], teamScope: [], projectScope: [] }, set([]))).toBe(true);
  });

  it("an API's permission ids are unique and well formed", () => {
    expect(ApiCreate.safeParse({ name: "Billing", permissions: [{ id: "a" }, { id: "a" }] }).success).toBe(false);
    expect(ApiCreate.safeParse({ name: "Billing", permissions: [{ id: "Read" }] }).success).toBe(false);
    expect(ApiCreate.parse({ name: "Billing", permissions: [{ id: "invoices.read" }] }).permissions).toEqual([
      { id: "invoices.read", description: "", sensitive: false },
    ]);
  });
});

describe("default roles and the APIs catalogue permissions", () => {
  const of = (roles: readonly { id: string; permissions: PermissionSet }[], id: string) => roles.find((r) => r.id === id)!.permissions;
  it("team: owner and admin manage and verify, default reads", () => {
    expect(of(DEFAULT_TEAM_ROLES, "owner").teamScope).toEqual(
      expect.arrayContaining(["team.apis.read", "team.apis.manage", "team.apis.verify"]),
    );
    expect(of(DEFAULT_TEAM_ROLES, "admin").teamScope).toEqual(
      expect.arrayContaining(["team.apis.read", "team.apis.manage", "team.apis.verify"]),
    );
    expect(of(DEFAULT_TEAM_ROLES, "default").teamScope).toContain("team.apis.read");
    expect(of(DEFAULT_TEAM_ROLES, "default").teamScope).not.toContain("team.apis.manage");
    expect(of(DEFAULT_TEAM_ROLES, "default").teamScope).not.toContain("team.apis.verify");
  });
  it("organisation: member reads only", () => {
    expect(of(DEFAULT_ORG_ROLES, "member").orgScope).toContain("org.apis.read");
    expect(of(DEFAULT_ORG_ROLES, "member").orgScope).not.toContain("org.apis.verify");
    expect(of(DEFAULT_ORG_ROLES, "admin").orgScope).toEqual(expect.arrayContaining(["org.apis.manage", "org.apis.verify"]));
  });
});
