import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../test-support/databases.js";
import { startHarness, type Client, type Harness, type TestReply } from "../test-support/harness.js";

// Issue #7, item 2 (OWASP API1 BOLA, API5 BFLA): over random sequences of calls, a credential of one team never
// reads or changes another team's objects, whichever path names them (the other team's, its own with a foreign
// object id, or the implied /v1/... form), unless an organisation role reaches that team. Two organisations, a team
// outside any, team tokens, organisation tokens (one restricted to a team) and a person. A refusal is 403 or 404,
// carries no data, and leaves the target's state as it was. The other direction too (issue #22, item 6): a call the
// credential may make gets exactly the answer a model of the state predicts (200; 404 for an object deleted before;
// 403 naming the permission a restricted role lacks), so a server that refused everything would fail.

const TEAMS = { red: "acme", blue: "acme", green: "other", solo: null } as const;
type Team = keyof typeof TEAMS;
const TEAM_IDS = Object.keys(TEAMS) as Team[];
const ORGS = ["acme", "other"] as const;
type Org = (typeof ORGS)[number];

interface Credential {
  name: string;
  client: Client;
  /** The teams and organisations it may act on. */
  teams: Set<Team>;
  orgs: Set<Org>;
  /** The team its implied paths (/v1/projects) act on, if any. */
  own: Team | null;
}

type Op =
  | { kind: "team"; method: "GET" | "PATCH"; what: "" }
  | { kind: "list"; what: "projects" | "roles" | "tokens" | "members" | "audit-logs" }
  | { kind: "object"; method: "GET" | "PATCH" | "DELETE"; what: "projects" | "roles" | "tokens" }
  | { kind: "tokenAudit"; what: "tokens" }
  | { kind: "create"; what: "projects" | "roles" | "tokens" }
  | { kind: "implied"; method: "GET" | "PATCH" | "DELETE"; what: "projects" | "tokens" | "roles" }
  | { kind: "org"; method: "GET" | "POST"; what: "teams" | "roles" | "tokens" | "members" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant("team" as const),
    method: fc.constantFrom("GET" as const, "PATCH" as const),
    what: fc.constant("" as const),
  }),
  fc.record({
    kind: fc.constant("list" as const),
    what: fc.constantFrom("projects" as const, "roles" as const, "tokens" as const, "members" as const, "audit-logs" as const),
  }),
  fc.record({
    kind: fc.constant("object" as const),
    method: fc.constantFrom("GET" as const, "PATCH" as const, "DELETE" as const),
    what: fc.constantFrom("projects" as const, "roles" as const, "tokens" as const),
  }),
  fc.record({ kind: fc.constant("tokenAudit" as const), what: fc.constant("tokens" as const) }),
  fc.record({ kind: fc.constant("create" as const), what: fc.constantFrom("projects" as const, "roles" as const, "tokens" as const) }),
  fc.record({
    kind: fc.constant("implied" as const),
    method: fc.constantFrom("GET" as const, "PATCH" as const, "DELETE" as const),
    what: fc.constantFrom("projects" as const, "tokens" as const, "roles" as const),
  }),
  fc.record({
    kind: fc.constant("org" as const),
    method: fc.constantFrom("GET" as const, "POST" as const),
    what: fc.constantFrom("teams" as const, "roles" as const, "tokens" as const, "members" as const),
  }),
);

describe.each(dialects())("tenant isolation over random call sequences on %s", (kind) => {
  let h: Harness;
  let credentials: Credential[];
  /** Per team, the ids of its objects that calls may name (the object tokens are never used as credentials). */
  const objects = new Map<Team, { projects: string; roles: string; tokens: string }>();
  let n = 0;

  beforeAll(async () => {
    h = await startHarness(kind);
    for (const org of ORGS) await h.owner.ok("POST", "/v1/orgs", { id: org, name: org });
    for (const t of TEAM_IDS) {
      const org = TEAMS[t];
      await h.owner.ok("POST", org ? `/v1/orgs/${org}/teams` : "/v1/teams", { id: t, name: t });
      await h.owner.ok("POST", `/v1/teams/${t}/projects`, { id: `${t}-p`, name: `${t}-p` });
      await h.owner.ok("POST", `/v1/teams/${t}/roles`, {
        id: `${t}-role`,
        name: `${t}-role`,
        permissions: { projectScope: ["project.read"] },
      });
      const { apiToken } = await h.owner.ok<{ apiToken: { id: string } }>("POST", `/v1/teams/${t}/tokens`, {
        name: "object",
        roleId: `${t}-role`,
      });
      objects.set(t, { projects: `${t}-p`, roles: `${t}-role`, tokens: apiToken.id });
    }
    await h.owner.ok("POST", "/v1/orgs/acme/roles", {
      id: "red-only",
      name: "red only",
      permissions: {
        orgScope: ["org.read", "org.teams.read", "org.roles.read", "org.tokens.read", "org.members.read"],
        teamScope: [
          "team.read",
          "team.update",
          "team.roles.read",
          "team.roles.manage",
          "team.tokens.read",
          "team.tokens.manage",
          "team.members.read",
          "team.audit.read",
          // The team `default` role reads APIs, trust policies and webhooks (issues 15, 19, 18): without them this role
          // could not hand it out (no escalation).
          "team.apis.read",
          "team.trustpolicies.read",
          "team.webhooks.read",
        ],
        projectScope: ["project.read", "project.create", "project.update", "project.delete"],
      },
      restrictions: { enabled: true, teams: [{ teamId: "red" }] },
    });
    const token = async (path: string, roleId: string) =>
      (await h.owner.ok<{ token: string }>("POST", `${path}/tokens`, { name: roleId, roleId })).token;
    const bearer = (t: string) => h.client({ bearer: t });
    credentials = [];
    for (const t of TEAM_IDS) {
      credentials.push({
        name: `${t} team token`,
        client: bearer(await token(`/v1/teams/${t}`, "owner")),
        teams: new Set([t]),
        orgs: new Set(),
        own: t,
      });
    }
    credentials.push({
      name: "acme org token",
      client: bearer(await token("/v1/orgs/acme", "owner")),
      teams: new Set<Team>(["red", "blue"]),
      orgs: new Set<Org>(["acme"]),
      own: null,
    });
    credentials.push({
      name: "acme org token restricted to red",
      client: bearer(await token("/v1/orgs/acme", "red-only")),
      teams: new Set<Team>(["red"]),
      orgs: new Set<Org>(["acme"]),
      own: null,
    });
    credentials.push({
      name: "other org token",
      client: bearer(await token("/v1/orgs/other", "owner")),
      teams: new Set<Team>(["green"]),
      orgs: new Set<Org>(["other"]),
      own: null,
    });
    const person = await h.newMember(h.owner, "/v1/teams/blue", ["admin"]);
    credentials.push({ name: "blue admin (person)", client: person, teams: new Set<Team>(["blue"]), orgs: new Set(), own: null });
  });
  afterAll(() => h.close());

  /** Drops when tokens were last used: the credentials themselves are used by the calls, legitimately. */
  const stable = (text: string) => text.replace(/"lastUsed(At|Ip)":(null|"[^"]*")/g, "");
  const read = async (paths: string[]) => stable(JSON.stringify(await Promise.all(paths.map(async (p) => (await h.owner.get(p)).body))));
  /** What the owner sees of a team: enough to tell whether a refused call changed anything. */
  const snapshot = (t: Team) =>
    read([`/v1/teams/${t}`, `/v1/teams/${t}/projects`, `/v1/teams/${t}/roles?per_page=100`, `/v1/teams/${t}/tokens?all=true&per_page=100`]);
  const orgSnapshot = (o: Org) => read([`/v1/orgs/${o}/teams`, `/v1/orgs/${o}/roles`, `/v1/orgs/${o}/tokens?all=true`]);

  /** The request for one step, and the team or organisation whose objects it touches. */
  function requestOf(c: Credential, op: Op, pathTeam: Team, objectTeam: Team, org: Org) {
    const id = ++n;
    const obj = objects.get(objectTeam);
    const base = `/v1/teams/${pathTeam}`;
    const patchBody = { description: `touched-${id}` };
    switch (op.kind) {
      case "team":
        return { method: op.method, url: base, body: op.method === "PATCH" ? patchBody : undefined, touches: pathTeam };
      case "list":
        return { method: "GET" as const, url: `${base}/${op.what}`, body: undefined, touches: pathTeam };
      case "object":
        return {
          method: op.method,
          url: `${base}/${op.what}/${obj?.[op.what] ?? ""}`,
          body: op.method === "PATCH" ? patchBody : undefined,
          touches: pathTeam === objectTeam ? pathTeam : null,
          foreign: pathTeam === objectTeam ? null : objectTeam,
        };
      case "tokenAudit":
        // A token's own audit feed, named through a team path: the token must belong to that team.
        return {
          method: "GET" as const,
          url: `${base}/tokens/${obj?.tokens ?? ""}/audit-logs`,
          body: undefined,
          touches: pathTeam === objectTeam ? pathTeam : null,
          foreign: pathTeam === objectTeam ? null : objectTeam,
        };
      case "create": {
        const bodies = {
          projects: { id: `${pathTeam}-new-${id}`, name: `${pathTeam}-new-${id}` },
          roles: { id: `${pathTeam}-r-${id}`, name: `${pathTeam}-r-${id}`, permissions: { projectScope: ["project.read"] } },
          tokens: { name: `t-${id}`, roleId: "default" },
        };
        return { method: "POST" as const, url: `${base}/${op.what}`, body: bodies[op.what], touches: pathTeam };
      }
      case "implied": {
        // The implied path acts on the credential's own team; the object may be another team's.
        const own = c.own;
        return {
          method: op.method,
          url: `/v1/${op.what}/${obj?.[op.what] ?? ""}`,
          body: op.method === "PATCH" ? patchBody : undefined,
          touches: own !== null && own === objectTeam ? own : null,
          foreign: own === objectTeam ? null : objectTeam,
        };
      }
      case "org":
        return {
          method: op.method,
          url: `/v1/orgs/${org}/${op.what}`,
          body:
            op.method === "POST"
              ? op.what === "teams"
                ? { name: `${org}-team-${id}` }
                : op.what === "roles"
                  ? { name: `${org}-r-${id}`, permissions: { orgScope: ["org.read"] } }
                  : op.what === "tokens"
                    ? { name: `t-${id}`, roleId: "member" }
                    : { email: `x${id}@example.com`, roles: ["member"] }
              : undefined,
          touchesOrg: org,
        };
    }
  }

  /** Objects deleted by allowed calls so far ("team/what"): naming one again is a 404. Revoked tokens stay (200). */
  const gone = new Set<string>();
  /** What the organisation role restricted to red lacks: it reads the organisation but changes nothing in it. */
  const RESTRICTED_LACKS = {
    teams: "org.teams.create",
    roles: "org.roles.manage",
    tokens: "org.tokens.manage",
    members: "org.members.manage",
  };

  /** The answer an allowed call must get: its status and, for a 403, the permission named. */
  function expectedOf(c: Credential, op: Op, pathTeam: Team, objectTeam: Team): { status: number; permission?: string } {
    if (op.kind === "org" && op.method === "POST" && c.name === "acme org token restricted to red") {
      return { status: 403, permission: RESTRICTED_LACKS[op.what] };
    }
    // The admin role holds no delete permission: its project deletion is refused first, whether or not the project is there.
    if (c.name === "blue admin (person)" && op.kind === "object" && op.method === "DELETE" && op.what === "projects") {
      return { status: 403, permission: "project.delete" };
    }
    const team = op.kind === "implied" ? c.own : pathTeam;
    if ((op.kind === "object" || op.kind === "implied") && op.what !== "tokens" && gone.has(`${team ?? ""}/${op.what}`)) {
      return { status: 404 };
    }
    if (op.kind === "object" || op.kind === "implied") expect(team).toBe(objectTeam);
    return { status: 200 };
  }

  const step = fc.record({
    credential: fc.nat(),
    op: opArb,
    pathTeam: fc.constantFrom(...TEAM_IDS),
    objectTeam: fc.constantFrom(...TEAM_IDS),
    org: fc.constantFrom(...ORGS),
  });

  it("no credential reads or changes a team or organisation it does not reach, by any path", async () => {
    const seen = { refused: 0, allowed: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
        for (const s of steps) {
          const c = credentials[s.credential % credentials.length] as Credential;
          const r = requestOf(c, s.op, s.pathTeam, s.objectTeam, s.org);
          const what = `${c.name}: ${r.method} ${r.url}`;
          // Which tenant's state the call could affect, and whether this credential may affect it.
          const pathTeam = s.op.kind === "implied" ? c.own : s.op.kind === "org" ? null : s.pathTeam;
          const mayPath = s.op.kind === "org" ? c.orgs.has(s.org) : pathTeam !== null && c.teams.has(pathTeam);
          const foreign = "foreign" in r ? r.foreign : null;
          const watched: string[] = [];
          if (!mayPath && s.op.kind === "org") watched.push(`org:${s.org}`);
          else if (!mayPath && pathTeam) watched.push(pathTeam);
          if (foreign) watched.push(foreign);
          const before = await Promise.all(
            watched.map((w) => (w.startsWith("org:") ? orgSnapshot(w.slice(4) as Org) : snapshot(w as Team))),
          );
          const res: TestReply = await c.client.request(r.method, r.url, r.body);
          expect(res.status, `${what}: ${res.raw}`).toBeLessThan(500);
          if (!mayPath || foreign) {
            seen.refused++;
            expect([400, 403, 404], `${what} must be refused: ${res.raw}`).toContain(res.status);
            expect(res.body.data, what).toBeUndefined();
            const after = await Promise.all(
              watched.map((w) => (w.startsWith("org:") ? orgSnapshot(w.slice(4) as Org) : snapshot(w as Team))),
            );
            expect(after, `${what} changed another tenant`).toEqual(before);
          } else {
            seen.allowed++;
            const expected = expectedOf(c, s.op, s.pathTeam, s.objectTeam);
            expect(res.status, `${what} must be answered ${expected.status}: ${res.raw}`).toBe(expected.status);
            if (expected.status === 200) expect(res.body.data, what).toBeDefined();
            if (expected.permission) expect(res.body.error?.details, what).toMatchObject({ permission: expected.permission });
            if (expected.status === 200 && "method" in s.op && s.op.method === "DELETE" && s.op.what !== "tokens") {
              gone.add(`${pathTeam ?? ""}/${s.op.what}`);
            }
            // Lists of a reachable team hold only that team's objects.
            if (s.op.kind === "list" && s.op.what === "projects" && res.status === 200) {
              const ids = (res.body.data as { projects: { id: string }[] }).projects.map((p) => p.id);
              expect(
                ids.every((id) => id.startsWith(`${s.pathTeam}-`)),
                `${what}: ${ids.join(",")}`,
              ).toBe(true);
            }
          }
        }
      }),
      { numRuns: 30 },
    );
    expect(seen.refused).toBeGreaterThan(20);
    expect(seen.allowed).toBeGreaterThan(10);
  }, 60_000);

  it("an organisation's team list shows only the teams the credential reaches", async () => {
    for (const c of credentials) {
      for (const org of ORGS) {
        const res = await c.client.get(`/v1/orgs/${org}/teams`);
        if (!c.orgs.has(org)) {
          expect([403, 404], `${c.name} on ${org}`).toContain(res.status);
          continue;
        }
        expect(res.status).toBe(200);
        const ids = (res.body.data as { teams: { id: string }[] }).teams.map((t) => t.id);
        for (const id of ids) if ((TEAM_IDS as string[]).includes(id)) expect(c.teams.has(id as Team), `${c.name} sees ${id}`).toBe(true);
      }
    }
  });
});
