import type { z } from "zod";
import { describe, expect, it } from "vitest";
import { PERMISSIONS, permissionIds } from "../permissions.js";
import {
  Description,
  Email,
  Empty,
  ErrorReply,
  IsoTime,
  Name,
  OrgRestrictionsSchema,
  PageQuery,
  PermissionSetSchema,
  ProjectRestrictionsSchema,
  Slug,
} from "./common.js";
import {
  InvitationAccept,
  MemberInvite,
  MemberUpdate,
  Org,
  OrgCreate,
  OrgRole,
  OrgRoleCreate,
  OrgRoleUpdate,
  OrgUpdate,
  PermissionInfo,
  ProjectCreate,
  ProjectUpdate,
  RoleMemberAdd,
  SessionCreate,
  SetupCreate,
  Team,
  TeamCreate,
  TeamRole,
  TeamRoleCreate,
  TeamRoleUpdate,
  TeamUpdate,
  User,
} from "./entities.js";

/** One row of a schema table: accepted (optionally with the parsed value) or rejected (optionally at a path). */
type Row = { name: string; input: unknown; ok: true; output?: unknown } | { name: string; input: unknown; ok: false; path?: PropertyKey[] };

const accept = (name: string, input: unknown, output?: unknown): Row => ({ name, input, ok: true, output });
const reject = (name: string, input: unknown, path?: PropertyKey[]): Row => ({ name, input, ok: false, path });

function table(schema: z.ZodType, rows: Row[]): void {
  it.each(rows)("$name", (row) => {
    const result = schema.safeParse(row.input);
    if (row.ok) {
      expect(result.error?.issues).toBeUndefined();
      if (row.output !== undefined) expect(result.data).toEqual(row.output);
    } else {
      expect(result.success).toBe(false);
      // The failure must come from the field the row is about, not from some other mistake in the input.
      if (row.path) expect(result.error?.issues.map((i) => i.path)).toContainEqual(row.path);
    }
  });
}

const s = (n: number, c = "a") => c.repeat(n);
const TIME = "2024-05-01T12:00:00.000Z";

// ---------------------------------------------------------------------------------------------------------------
// Building blocks (schemas/common.ts)
// ---------------------------------------------------------------------------------------------------------------

describe("Slug", () => {
  table(Slug, [
    accept("plain", "acme"),
    accept("with hyphens and digits", "team-42-b"),
    accept("64 characters", s(64)),
    reject("65 characters", s(65)),
    reject("empty", ""),
    reject("upper case", "Acme"),
    reject("double hyphen", "a--b"),
    reject("leading hyphen", "-a"),
    reject("trailing hyphen", "a-"),
    reject("underscore", "a_b"),
    reject("path traversal", "../etc"),
    reject("a number", 42),
    reject("null", null),
  ]);
});

describe("Name", () => {
  table(Name, [
    accept("plain", "Platform Team"),
    accept("trimmed", "  Platform Team  ", "Platform Team"),
    accept("a trailing newline is trimmed away", "Platform\n", "Platform"),
    accept("unicode", "Équipe 🚀 日本"),
    accept("100 characters", s(100)),
    accept("100 characters once trimmed", ` ${s(100)} `, s(100)),
    reject("101 characters", s(101)),
    reject("empty", ""),
    reject("only spaces", "   "),
    reject("NUL inside", "a\u0000b"),
    reject("newline inside", "a\nb"),
    reject("tab inside", "a\tb"),
    reject("DEL inside", "a\u007fb"),
    reject("C1 control inside", "a\u0085b"),
    reject("escape sequence inside", "a\u001b[31mb"),
    reject("a number", 1),
  ]);
});

describe("Description", () => {
  table(Description, [accept("empty", ""), accept("1000 characters", s(1000)), reject("1001 characters", s(1001)), reject("null", null)]);
});

describe("IsoTime", () => {
  table(IsoTime, [
    accept("UTC", "2024-05-01T12:00:00Z"),
    accept("UTC with milliseconds", TIME),
    accept("with an offset", "2024-05-01T12:00:00+02:00"),
    reject("a date only", "2024-05-01"),
    reject("no offset", "2024-05-01T12:00:00"),
    reject("words", "tomorrow"),
    reject("epoch milliseconds", 1714564800000),
    reject("a Date object", new Date(TIME)),
  ]);
});

describe("Email", () => {
  table(Email, [
    accept("plain", "alice@example.com"),
    accept("trimmed and lower-cased", "  Alice@Example.COM ", "alice@example.com"),
    reject("no at sign", "alice.example.com"),
    reject("no domain", "alice@"),
    reject("empty", ""),
    reject("longer than 254", `${s(250)}@example.com`),
    reject("two addresses", "a@example.com,b@example.com"),
  ]);
});

describe("PermissionSetSchema", () => {
  table(PermissionSetSchema, [
    accept("every scope missing -> empty", {}, { orgScope: [], teamScope: [], projectScope: [], apiScope: [] }),
    accept("one per scope", { orgScope: ["org.read"], teamScope: ["team.read"], projectScope: ["project.read"] }),
    accept(
      "the whole catalogue",
      { orgScope: permissionIds("org"), teamScope: permissionIds("team"), projectScope: permissionIds("project") },
      { orgScope: permissionIds("org"), teamScope: permissionIds("team"), projectScope: permissionIds("project"), apiScope: [] },
    ),
    accept(
      "duplicates removed, first order kept",
      { teamScope: ["team.update", "team.read", "team.update", "team.read"] },
      { orgScope: [], teamScope: ["team.update", "team.read"], projectScope: [], apiScope: [] },
    ),
    reject("team permission under orgScope", { orgScope: ["team.read"] }, ["orgScope"]),
    reject("org permission under teamScope", { teamScope: ["org.read"] }, ["teamScope"]),
    reject("project permission under teamScope", { teamScope: ["project.read"] }, ["teamScope"]),
    reject("team permission under projectScope", { projectScope: ["team.read"] }, ["projectScope"]),
    reject("one bad id among good ones", { teamScope: ["team.read", "team.fly"] }, ["teamScope"]),
    reject("unknown id", { projectScope: ["project.launch"] }, ["projectScope"]),
    reject("upper-case id", { orgScope: ["ORG.READ"] }, ["orgScope"]),
    reject("empty id", { teamScope: [""] }, ["teamScope"]),
    reject("wildcard", { teamScope: ["*"] }, ["teamScope"]),
    reject("a string instead of a list", { teamScope: "team.read" }, ["teamScope"]),
    reject("null list", { teamScope: null }, ["teamScope"]),
    reject("more than 100 entries", { teamScope: Array<string>(101).fill("team.read") }, ["teamScope"]),
    reject("unknown field", { teamScope: [], adminScope: ["team.read"] }, []),
    reject("null", null),
    reject("a list", ["team.read"]),
  ]);

  it.each(PERMISSIONS.map((p) => [p.id, p.scope] as const))("%s is accepted only under %sScope", (id, scope) => {
    for (const key of ["orgScope", "teamScope", "projectScope"] as const) {
      expect(PermissionSetSchema.safeParse({ [key]: [id] }).success).toBe(key === `${scope}Scope`);
    }
  });
});

describe("ProjectRestrictionsSchema", () => {
  table(ProjectRestrictionsSchema, [
    accept("disabled, defaults filled in", { enabled: false }, { enabled: false, projects: [], restrictionMode: "in" }),
    accept("in a list", { enabled: true, projects: ["web", "api"], restrictionMode: "in" }),
    accept("notIn a list", { enabled: true, projects: ["web"], restrictionMode: "notIn" }),
    accept("mode defaults to in", { enabled: true, projects: ["web"] }, { enabled: true, projects: ["web"], restrictionMode: "in" }),
    accept("500 projects", { enabled: true, projects: Array.from({ length: 500 }, (_, i) => `p${i}`) }),
    reject("501 projects", { enabled: true, projects: Array.from({ length: 501 }, (_, i) => `p${i}`) }, ["projects"]),
    reject("enabled missing", { projects: ["web"] }, ["enabled"]),
    reject("enabled as a string", { enabled: "true" }, ["enabled"]),
    reject("unknown mode", { enabled: true, restrictionMode: "all" }, ["restrictionMode"]),
    reject("a project that is not a slug", { enabled: true, projects: ["Web App"] }, ["projects", 0]),
    reject("an organisation role's teams", { enabled: true, teams: [] }, []),
    reject("unknown field", { enabled: false, mode: "in" }, []),
  ]);
});

describe("OrgRestrictionsSchema", () => {
  const OFF = { enabled: false, projects: [], restrictionMode: "in" };
  table(OrgRestrictionsSchema, [
    accept("disabled, teams default to none", { enabled: false }, { enabled: false, teams: [] }),
    accept(
      "a team without project restrictions reaches all of its projects",
      { enabled: true, teams: [{ teamId: "web" }] },
      { enabled: true, teams: [{ teamId: "web", restrictions: OFF }] },
    ),
    accept(
      "a team with its own project restrictions",
      { enabled: true, teams: [{ teamId: "web", restrictions: { enabled: true, projects: ["site"], restrictionMode: "notIn" } }] },
      { enabled: true, teams: [{ teamId: "web", restrictions: { enabled: true, projects: ["site"], restrictionMode: "notIn" } }] },
    ),
    reject("enabled missing", { teams: [] }, ["enabled"]),
    reject("a team id that is not a slug", { enabled: true, teams: [{ teamId: "Web" }] }, ["teams", 0, "teamId"]),
    reject("a team without an id", { enabled: true, teams: [{ restrictions: { enabled: false } }] }, ["teams", 0, "teamId"]),
    reject("a bad project inside a team", { enabled: true, teams: [{ teamId: "web", restrictions: { enabled: true, projects: ["A"] } }] }, [
      "teams",
      0,
      "restrictions",
      "projects",
      0,
    ]),
    reject("unknown field on a team", { enabled: true, teams: [{ teamId: "web", projects: ["site"] }] }, ["teams", 0]),
    reject("a team role's project list", { enabled: true, projects: ["web"], restrictionMode: "in" }, []),
    reject("more than 500 teams", { enabled: true, teams: Array.from({ length: 501 }, (_, i) => ({ teamId: `t${i}` })) }, ["teams"]),
  ]);
});

describe("PageQuery", () => {
  table(PageQuery, [
    accept("defaults to 50 per page", {}, { perPage: 50 }),
    accept("perPage from a query string", { perPage: "10" }, { perPage: 10 }),
    accept("per_page, its deprecated spelling, read as perPage", { per_page: "10" }, { perPage: 10 }),
    accept("per_page as a number", { per_page: 100 }, { perPage: 100 }),
    accept("with a cursor", { cursor: "abc" }, { perPage: 50, cursor: "abc" }),
    reject("perPage and per_page together", { perPage: "10", per_page: "10" }, ["per_page"]),
    reject("perPage 101", { perPage: "101" }, ["perPage"]),
    reject("perPage not a number", { perPage: "ten" }, ["perPage"]),
    accept("512-character cursor", { cursor: s(512) }),
    reject("513-character cursor", { cursor: s(513) }, ["cursor"]),
    reject("per_page 0", { per_page: "0" }, ["per_page"]),
    reject("per_page 101", { per_page: "101" }, ["per_page"]),
    reject("per_page negative", { per_page: "-5" }, ["per_page"]),
    reject("per_page fractional", { per_page: "1.5" }, ["per_page"]),
    reject("per_page not a number", { per_page: "ten" }, ["per_page"]),
    reject("per_page empty", { per_page: "" }, ["per_page"]),
    reject("unknown query parameter", { page: "2" }, []),
  ]);
});

describe("Empty", () => {
  table(Empty, [accept("nothing", {}), reject("anything", { a: 1 }, [])]);
});

// ---------------------------------------------------------------------------------------------------------------
// Requests (schemas/entities.ts): strict, so a misspelt or smuggled field is an error, not silently dropped.
// ---------------------------------------------------------------------------------------------------------------

describe("SessionCreate", () => {
  table(SessionCreate, [
    accept("normalises the e-mail", { email: " Alice@Example.com", password: "pw" }, { email: "alice@example.com", password: "pw" }),
    reject("empty password", { email: "alice@example.com", password: "" }, ["password"]),
    reject("password over 1024", { email: "alice@example.com", password: s(1025) }, ["password"]),
    reject("bad e-mail", { email: "alice", password: "pw" }, ["email"]),
    reject("unknown field", { email: "alice@example.com", password: "pw", remember: true }, []),
  ]);
});

describe("OrgCreate and OrgUpdate", () => {
  describe("OrgCreate", () => {
    table(OrgCreate, [
      accept("name only", { name: "Acme" }, { name: "Acme" }),
      accept("name and id", { id: "acme", name: " Acme " }, { id: "acme", name: "Acme" }),
      reject("no name", { id: "acme" }, ["name"]),
      reject("id not a slug", { id: "Acme Inc", name: "Acme" }, ["id"]),
      reject("unknown field", { name: "Acme", owner: "mallory" }, []),
    ]);
  });
  describe("OrgUpdate", () => {
    table(OrgUpdate, [
      accept("nothing", {}),
      accept("name", { name: "Acme 2" }),
      reject("blank name", { name: " " }, ["name"]),
      reject("the id", { id: "other" }, []),
    ]);
  });
});

describe("TeamCreate and TeamUpdate", () => {
  describe("TeamCreate", () => {
    table(TeamCreate, [
      accept("description defaults to empty", { name: "Web" }, { name: "Web", description: "" }),
      accept("everything", { id: "web", name: "Web", description: "The web team" }),
      reject("description over 1000", { name: "Web", description: s(1001) }, ["description"]),
      reject("orgId is taken from the path, not the body", { name: "Web", orgId: "acme" }, []),
    ]);
  });
  describe("TeamUpdate", () => {
    table(TeamUpdate, [
      accept("nothing", {}, {}),
      accept("description only", { description: "" }, { description: "" }),
      reject("name with a control character", { name: "We\u0007b" }, ["name"]),
      reject("the id", { id: "web2" }, []),
    ]);
  });
});

describe("TeamRoleCreate", () => {
  table(TeamRoleCreate, [
    accept(
      "minimal: everything else defaults",
      { name: "Deployer", permissions: {} },
      {
        name: "Deployer",
        description: "",
        permissions: { orgScope: [], teamScope: [], projectScope: [], apiScope: [] },
        restrictions: { enabled: false, projects: [], restrictionMode: "in" },
      },
    ),
    accept("with restrictions", {
      id: "deployer",
      name: "Deployer",
      description: "Deploys",
      permissions: { projectScope: ["project.update"] },
      restrictions: { enabled: true, projects: ["site"], restrictionMode: "notIn" },
    }),
    reject("no permissions", { name: "Deployer" }, ["permissions"]),
    reject("a permission of the wrong scope", { name: "Deployer", permissions: { teamScope: ["project.read"] } }, [
      "permissions",
      "teamScope",
    ]),
    reject("an unknown permission", { name: "Deployer", permissions: { teamScope: ["team.everything"] } }, ["permissions", "teamScope"]),
    reject("an organisation role's restrictions", { name: "Deployer", permissions: {}, restrictions: { enabled: true, teams: [] } }, [
      "restrictions",
    ]),
    reject("unknown field", { name: "Deployer", permissions: {}, builtIn: true }, []),
    reject("unknown field inside permissions", { name: "Deployer", permissions: { all: true } }, ["permissions"]),
    reject("id not a slug", { id: "Deployer", name: "Deployer", permissions: {} }, ["id"]),
  ]);
});

describe("OrgRoleCreate", () => {
  table(OrgRoleCreate, [
    accept(
      "minimal: restrictions default to every team",
      { name: "Auditor", permissions: { orgScope: ["org.audit.read"] } },
      {
        name: "Auditor",
        description: "",
        permissions: { orgScope: ["org.audit.read"], teamScope: [], projectScope: [], apiScope: [] },
        restrictions: { enabled: false, teams: [] },
      },
    ),
    accept("limited to one team's projects", {
      name: "Web deployer",
      permissions: { projectScope: ["project.update"] },
      restrictions: { enabled: true, teams: [{ teamId: "web", restrictions: { enabled: true, projects: ["site"] } }] },
    }),
    reject("a team role's restrictions", { name: "X", permissions: {}, restrictions: { enabled: true, projects: ["web"] } }, [
      "restrictions",
    ]),
    reject("an org permission under teamScope", { name: "X", permissions: { teamScope: ["org.read"] } }, ["permissions", "teamScope"]),
    reject("unknown field (strict survives extend)", { name: "X", permissions: {}, orgId: "acme" }, []),
  ]);
});

describe("TeamRoleUpdate and OrgRoleUpdate", () => {
  describe("TeamRoleUpdate", () => {
    table(TeamRoleUpdate, [
      accept("nothing", {}, {}),
      accept(
        "permissions only, deduplicated",
        { permissions: { teamScope: ["team.read", "team.read"] } },
        {
          permissions: { orgScope: [], teamScope: ["team.read"], projectScope: [], apiScope: [] },
        },
      ),
      accept("restrictions only", { restrictions: { enabled: true, projects: ["site"] } }),
      reject("a permission of the wrong scope", { permissions: { projectScope: ["team.delete"] } }, ["permissions", "projectScope"]),
      reject("an organisation role's restrictions", { restrictions: { enabled: false, teams: [] } }, ["restrictions"]),
      reject("the id", { id: "renamed" }, []),
    ]);
  });
  describe("OrgRoleUpdate", () => {
    table(OrgRoleUpdate, [
      accept("nothing", {}, {}),
      accept("restrictions to teams", { restrictions: { enabled: true, teams: [{ teamId: "web" }] } }),
      reject("a team role's restrictions", { restrictions: { enabled: true, projects: ["site"] } }, ["restrictions"]),
      reject("unknown field (strict survives extend)", { name: "X", members: [] }, []),
    ]);
  });
});

describe("members", () => {
  const roles20 = Array.from({ length: 20 }, (_, i) => `r${i}`);
  describe("MemberInvite", () => {
    table(MemberInvite, [
      accept("one role", { email: "Bob@Example.com", roles: ["default"] }, { email: "bob@example.com", roles: ["default"] }),
      accept("20 roles", { email: "bob@example.com", roles: roles20 }),
      reject("no roles", { email: "bob@example.com", roles: [] }, ["roles"]),
      reject("21 roles", { email: "bob@example.com", roles: [...roles20, "r20"] }, ["roles"]),
      reject("a role that is not a slug", { email: "bob@example.com", roles: ["Owner"] }, ["roles", 0]),
      reject("roles missing", { email: "bob@example.com" }, ["roles"]),
      reject("bad e-mail", { email: "bob", roles: ["default"] }, ["email"]),
      reject("unknown field", { email: "bob@example.com", roles: ["default"], userId: "u1" }, []),
    ]);
  });
  describe("MemberUpdate", () => {
    table(MemberUpdate, [
      accept("one role", { roles: ["admin"] }),
      reject("no roles", { roles: [] }, ["roles"]),
      reject("the e-mail", { roles: ["admin"], email: "x@example.com" }, []),
    ]);
  });
  describe("RoleMemberAdd", () => {
    table(RoleMemberAdd, [
      accept("a user id", { userId: "usr_123" }),
      accept("64 characters", { userId: s(64) }),
      reject("empty", { userId: "" }, ["userId"]),
      reject("65 characters", { userId: s(65) }, ["userId"]),
      reject("unknown field", { userId: "u", role: "owner" }, []),
    ]);
  });
});

describe("one-time links", () => {
  const token = s(16, "t");
  const password = s(12, "p");
  describe("InvitationAccept", () => {
    table(InvitationAccept, [
      accept("shortest token and password", { token, name: "Bob", password }),
      accept("no name (the account keeps its own)", { token, password }),
      reject("token of 15", { token: s(15), name: "Bob", password }, ["token"]),
      reject("token over 256", { token: s(257), name: "Bob", password }, ["token"]),
      reject("password of 11", { token, name: "Bob", password: s(11) }, ["password"]),
      reject("blank name", { token, name: "  ", password }, ["name"]),
      reject("unknown field", { token, name: "Bob", password, email: "b@example.com" }, []),
    ]);
  });
  describe("SetupCreate", () => {
    table(SetupCreate, [
      accept(
        "everything",
        { token, email: " Root@Example.com ", name: "Root", password },
        { token, email: "root@example.com", name: "Root", password },
      ),
      reject("password of 11", { token, email: "root@example.com", name: "Root", password: s(11) }, ["password"]),
      reject("no e-mail", { token, name: "Root", password }, ["email"]),
      reject("unknown field", { token, email: "root@example.com", name: "Root", password, admin: true }, []),
    ]);
  });
});

describe("projects", () => {
  describe("ProjectCreate", () => {
    table(ProjectCreate, [
      accept("description defaults to empty", { name: "Site" }, { name: "Site", description: "" }),
      accept("with an id", { id: "site", name: "Site" }),
      reject("id not a slug", { id: "my site", name: "Site" }, ["id"]),
      reject("unknown field", { name: "Site", teamId: "web" }, []),
    ]);
  });
  describe("ProjectUpdate", () => {
    table(ProjectUpdate, [accept("nothing", {}), accept("name", { name: "Site 2" }), reject("the id", { id: "site-2" }, [])]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Replies: not strict, but they keep only the fields they name, so nothing stored by accident reaches a client.
// ---------------------------------------------------------------------------------------------------------------

describe("replies", () => {
  const permissions = { orgScope: [], teamScope: ["team.read"], projectScope: [] };

  it("User drops fields it does not name", () => {
    const stored = { id: "u1", email: "a@example.com", name: "A", createdAt: TIME, passwordHash: "$argon2id$..." };
    expect(User.parse(stored)).toEqual({ id: "u1", email: "a@example.com", name: "A", createdAt: TIME });
  });

  describe("Org", () => {
    table(Org, [
      accept("an org", { id: "acme", name: "Acme", rateLimitPerHour: null, createdAt: TIME, updatedAt: TIME }),
      accept("an org with its own rate limit", { id: "acme", name: "Acme", rateLimitPerHour: 5000, createdAt: TIME, updatedAt: TIME }),
      reject(
        "a time without an offset",
        { id: "acme", name: "Acme", rateLimitPerHour: null, createdAt: "2024-05-01T12:00:00", updatedAt: TIME },
        ["createdAt"],
      ),
      reject("a rate limit of 0", { id: "acme", name: "Acme", rateLimitPerHour: 0, createdAt: TIME, updatedAt: TIME }, [
        "rateLimitPerHour",
      ]),
    ]);
  });

  describe("Team", () => {
    const team = { id: "web", name: "Web", description: "", rateLimitPerHour: null, createdAt: TIME, updatedAt: TIME };
    table(Team, [
      accept("in an org", { ...team, orgId: "acme" }),
      accept("on its own", { ...team, orgId: null }),
      reject("orgId missing", team, ["orgId"]),
    ]);
  });

  describe("TeamRole and OrgRole", () => {
    const role = { id: "deployer", name: "Deployer", description: "", permissions, createdAt: TIME, updatedAt: TIME };
    const teamRestrictions = { enabled: true, projects: ["site"], restrictionMode: "in" };
    const orgRestrictions = { enabled: true, teams: [{ teamId: "web", restrictions: teamRestrictions }] };
    it.each([
      { name: "team role, project restrictions", schema: TeamRole, restrictions: teamRestrictions, ok: true },
      { name: "team role, team restrictions", schema: TeamRole, restrictions: orgRestrictions, ok: false },
      { name: "org role, team restrictions", schema: OrgRole, restrictions: orgRestrictions, ok: true },
      { name: "org role, project restrictions", schema: OrgRole, restrictions: teamRestrictions, ok: false },
    ])("$name -> $ok", ({ schema, restrictions, ok }) => {
      expect(schema.safeParse({ ...role, restrictions }).success).toBe(ok);
    });
  });

  it.each(PERMISSIONS.map((p) => [p.id, p] as const))("PermissionInfo describes %s", (_id, p) => {
    expect(PermissionInfo.parse(p)).toEqual({ id: p.id, scope: p.scope, group: p.group, label: p.label, sensitive: p.sensitive });
  });

  describe("ErrorReply", () => {
    table(ErrorReply, [
      accept("minimal", { error: { status: 403, code: "FORBIDDEN", message: "no", id: "req_1" } }),
      accept("with details", {
        error: { status: 403, code: "FORBIDDEN", message: "no", id: "req_1", details: { missing: ["team.read"] } },
      }),
      reject("status as a string", { error: { status: "403", code: "FORBIDDEN", message: "no", id: "req_1" } }, ["error", "status"]),
    ]);
  });
});
