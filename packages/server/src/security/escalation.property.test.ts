import { permissionIds } from "@latchkey/core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../test-support/databases.js";
import { startHarness, type Client, type Harness, type TestReply } from "../test-support/harness.js";

// Issue #7, item 2 (no escalation, DESIGN.md rule 8): over random roles, nobody (a person or a token) can create a
// role, edit a role, or mint a token that grants more than they hold. The oracle below is written from the rule, not
// from the server's code: a grant is what it permits on a finite universe (two teams, their projects, and "any other
// project"); a holder covers a target when the target's permissions are a subset of the holder's and its reach on
// every team is a subset too. The server must agree both ways: it never allows more, and it does not refuse what the
// rule allows.

const ORG = "acme";
const TEAMS = ["t1", "t2"] as const;
const PROJECTS = ["p1", "p2", "p3"] as const;
/** Every project a restriction can name, plus the stand-in for every project it does not name. */
const UNIVERSE = [...PROJECTS, "*other"];

interface ProjectRestrictions {
  enabled: boolean;
  projects: string[];
  restrictionMode: "in" | "notIn";
}
interface OrgRestrictions {
  enabled: boolean;
  teams: { teamId: string; restrictions: ProjectRestrictions }[];
}
interface RoleSpec {
  type: "team" | "org";
  permissions: { orgScope: string[]; teamScope: string[]; projectScope: string[] };
  restrictions: ProjectRestrictions | OrgRestrictions;
}

const projectReach = (r: ProjectRestrictions): Set<string> =>
  new Set(!r.enabled ? UNIVERSE : r.restrictionMode === "in" ? r.projects : UNIVERSE.filter((p) => !r.projects.includes(p)));

/** Which projects of each team a role of team t1 or of the organisation reaches. */
function reach(role: RoleSpec): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  if (role.type === "team") {
    out.set("t1", projectReach(role.restrictions as ProjectRestrictions));
    return out;
  }
  const r = role.restrictions as OrgRestrictions;
  for (const t of TEAMS) {
    if (!r.enabled) out.set(t, new Set(UNIVERSE));
    else {
      const listed = r.teams.find((x) => x.teamId === t);
      if (listed) out.set(t, projectReach(listed.restrictions));
    }
  }
  return out;
}

const subset = (a: Iterable<string>, b: Set<string>): boolean => [...a].every((x) => b.has(x));

/** The rule: `holder` may hand out `target` when everything the target permits, the holder permits. */
function covers(holder: RoleSpec, target: RoleSpec): boolean {
  const h = holder.permissions;
  const t = target.permissions;
  if (!subset(t.orgScope, new Set(h.orgScope)) || !subset(t.teamScope, new Set(h.teamScope))) return false;
  if (!subset(t.projectScope, new Set(h.projectScope))) return false;
  // An organisation role is org-wide in its org permissions: only an organisation role can cover one.
  if (target.type === "org" && holder.type !== "org") return false;
  const hr = reach(holder);
  for (const [team, projects] of reach(target)) {
    const held = hr.get(team);
    if (!held || !subset(projects, held)) return false;
  }
  // A team that an org role reaches with restrictions enabled but no list entry is reached by nobody; an org role
  // without team restrictions also reaches teams created later, which a restricted holder does not.
  if (target.type === "org" && holder.type === "org") {
    const hRestr = holder.restrictions as OrgRestrictions;
    const tRestr = target.restrictions as OrgRestrictions;
    if (hRestr.enabled && !tRestr.enabled) return false;
  }
  return true;
}

/** Whether the holder has `permission` on team t1 (team-scope) or on the organisation (org-scope). */
function holds(holder: RoleSpec, permission: string): boolean {
  if (permission.startsWith("org.")) return holder.type === "org" && holder.permissions.orgScope.includes(permission);
  return holder.permissions.teamScope.includes(permission) && reach(holder).has("t1");
}

/** Whether the holder reaches the entity at all (else the server answers 404, revealing nothing). */
const reachesEntity = (holder: RoleSpec, entity: "team" | "org"): boolean =>
  entity === "org" ? holder.type === "org" : reach(holder).has("t1");

const projectRestrictions: fc.Arbitrary<ProjectRestrictions> = fc.oneof(
  fc.constant<ProjectRestrictions>({ enabled: false, projects: [], restrictionMode: "in" }),
  fc.record({
    enabled: fc.constant(true),
    projects: fc.subarray([...PROJECTS]),
    restrictionMode: fc.constantFrom("in" as const, "notIn" as const),
  }),
);
const orgRestrictions: fc.Arbitrary<OrgRestrictions> = fc.oneof(
  fc.constant<OrgRestrictions>({ enabled: false, teams: [] }),
  fc.record({
    enabled: fc.constant(true),
    teams: fc
      .subarray([...TEAMS], { minLength: 1 })
      .chain((teams) => fc.tuple(...teams.map((teamId) => projectRestrictions.map((restrictions) => ({ teamId, restrictions }))))),
  }),
);
const roleSpec = (type: "team" | "org"): fc.Arbitrary<RoleSpec> =>
  fc.record({
    type: fc.constant(type),
    permissions: fc.record({
      orgScope: type === "org" ? fc.subarray(permissionIds("org")) : fc.constant([]),
      teamScope: fc.subarray(permissionIds("team")),
      projectScope: fc.subarray(permissionIds("project")),
    }),
    restrictions: type === "org" ? orgRestrictions : projectRestrictions,
  });

/** An actor that, half the time, holds the manage permissions the operations need (else allowed cases are rare). */
const actorSpec = (type: "team" | "org"): fc.Arbitrary<RoleSpec> =>
  fc
    .tuple(roleSpec(type), fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }))
    .map(([r, manage]) => {
      if (!manage) return r;
      const add = (list: string[], ids: string[]) => [...new Set([...list, ...ids])];
      return {
        ...r,
        permissions: {
          orgScope: type === "org" ? add(r.permissions.orgScope, ["org.roles.manage", "org.tokens.manage"]) : [],
          teamScope: add(r.permissions.teamScope, ["team.roles.manage", "team.tokens.manage"]),
          projectScope: r.permissions.projectScope,
        },
      };
    });

/** A target that is either any role or one carved out of the actor's own (the case where the answer is often yes). */
const targetSpec = (actor: RoleSpec, type: "team" | "org"): fc.Arbitrary<RoleSpec> => {
  if (type !== actor.type) return roleSpec(type);
  const carved = fc.record({
    type: fc.constant(type),
    permissions: fc.record({
      orgScope: fc.subarray(actor.permissions.orgScope),
      teamScope: fc.subarray(actor.permissions.teamScope),
      projectScope: fc.subarray(actor.permissions.projectScope),
    }),
    restrictions: fc.oneof(fc.constant(actor.restrictions), type === "org" ? orgRestrictions : projectRestrictions),
  });
  return fc.oneof({ weight: 1, arbitrary: roleSpec(type) }, { weight: 3, arbitrary: carved });
};

const pathOf = (type: "team" | "org") => (type === "team" ? "/v1/teams/t1" : `/v1/orgs/${ORG}`);
const body = (id: string, r: RoleSpec) => ({ id, name: id, permissions: r.permissions, restrictions: r.restrictions });

describe.each(dialects())("no escalation over random roles on %s", (kind) => {
  let h: Harness;
  let person: Client;
  const PERSON = { email: "person@escalation.example", password: "the person's password" };
  let n = 0;
  const nextId = (prefix: string) => `${prefix}-${++n}`;

  beforeAll(async () => {
    h = await startHarness(kind);
    await h.owner.ok("POST", "/v1/orgs", { name: "Acme" });
    for (const t of TEAMS) await h.owner.ok("POST", `/v1/orgs/${ORG}/teams`, { id: t, name: t });
    for (const p of PROJECTS) await h.owner.ok("POST", "/v1/teams/t1/projects", { name: p });
    person = await h.newMember(h.owner, "/v1/teams/t1", ["default"], PERSON.email, PERSON.password);
  });
  afterAll(() => h.close());

  /** A principal holding exactly one role: a token of it, or the person given only that role. */
  async function principalOf(actor: RoleSpec, kindOf: "token" | "person"): Promise<Client> {
    const id = nextId("actor");
    const path = pathOf(actor.type);
    await h.owner.ok("POST", `${path}/roles`, body(id, actor));
    if (kindOf === "token") {
      const { token } = await h.owner.ok<{ token: string }>("POST", `${path}/tokens`, { name: id, roleId: id });
      return h.client({ bearer: token });
    }
    // The person holds this role and nothing else: out of the other entity, in this one with this role only.
    for (const p of [pathOf("team"), pathOf("org")]) {
      const res = await h.owner.delete(`${p}/members/${person.userId}`);
      expect([200, 404]).toContain(res.status);
    }
    await h.join(h.owner, path, [id], PERSON.email, PERSON.password);
    return person;
  }

  /** The role as stored, to prove that a refusal changed nothing. */
  const stored = async (type: "team" | "org", id: string) => {
    const res = await h.owner.get(`${pathOf(type)}/roles/${id}`);
    return res.status === 200 ? (res.body.data as Record<string, unknown>) : null;
  };

  const check = (res: TestReply, allowed: boolean, what: string) => {
    if (allowed) expect(res.status, `${what} should be allowed: ${res.raw}`).toBe(200);
    else {
      expect([403, 404], `${what} should be refused: ${res.raw}`).toContain(res.status);
      expect(res.raw).not.toMatch(/"token":/);
    }
  };

  const actorAndTarget = fc
    .record({
      actorType: fc.constantFrom("team" as const, "org" as const),
      principal: fc.constantFrom("token" as const, "person" as const),
      sameType: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    })
    .map(({ actorType, principal, sameType }) => ({
      actorType,
      principal,
      targetType: sameType ? actorType : actorType === "team" ? ("org" as const) : ("team" as const),
    }));
  const scenario = actorAndTarget.chain((x) =>
    actorSpec(x.actorType).chain((actor) =>
      fc.record({ x: fc.constant(x), actor: fc.constant(actor), target: targetSpec(actor, x.targetType) }),
    ),
  );
  /** How often each property saw each answer: both must occur, or the property proves little. */
  const outcomes = { yes: 0, no: 0 };
  const tally = (allowed: boolean) => {
    outcomes[allowed ? "yes" : "no"]++;
  };
  const expectBothOutcomes = () => {
    expect(outcomes.yes, "allowed cases").toBeGreaterThanOrEqual(3);
    expect(outcomes.no, "refused cases").toBeGreaterThanOrEqual(3);
    outcomes.yes = 0;
    outcomes.no = 0;
  };

  it("creating a role: allowed exactly when the creator may manage roles and holds everything the role grants", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ x, actor, target }) => {
        const client = await principalOf(actor, x.principal);
        const id = nextId("made");
        const res = await client.post(`${pathOf(x.targetType)}/roles`, body(id, target));
        const allowed = reachesEntity(actor, x.targetType) && holds(actor, `${x.targetType}.roles.manage`) && covers(actor, target);
        tally(allowed);
        check(res, allowed, `create ${JSON.stringify(target)} as ${JSON.stringify(actor)}`);
        if (!allowed) expect(await stored(x.targetType, id)).toBeNull();
      }),
      { numRuns: 50 },
    );
    expectBothOutcomes();
  }, 60_000);

  it("minting a token: allowed exactly when the minter may manage tokens and holds everything the role grants", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ x, actor, target }) => {
        const roleId = nextId("target");
        await h.owner.ok("POST", `${pathOf(x.targetType)}/roles`, body(roleId, target));
        const client = await principalOf(actor, x.principal);
        const before = await h.owner.ok<{ apiTokens: unknown[] }>("GET", `${pathOf(x.targetType)}/tokens?all=true&per_page=100`);
        const res = await client.post(`${pathOf(x.targetType)}/tokens`, { name: "minted", roleId });
        const allowed = reachesEntity(actor, x.targetType) && holds(actor, `${x.targetType}.tokens.manage`) && covers(actor, target);
        tally(allowed);
        check(res, allowed, `mint ${JSON.stringify(target)} as ${JSON.stringify(actor)}`);
        const after = await h.owner.ok<{ apiTokens: unknown[] }>("GET", `${pathOf(x.targetType)}/tokens?all=true&per_page=100`);
        expect(after.apiTokens.length).toBe(before.apiTokens.length + (allowed ? 1 : 0));
      }),
      { numRuns: 50 },
    );
    expectBothOutcomes();
  }, 60_000);

  it("editing a role: allowed exactly when the editor holds everything the role grants, before and after", async () => {
    const edit = actorAndTarget.chain((x) =>
      actorSpec(x.actorType).chain((actor) =>
        fc.record({
          x: fc.constant(x),
          actor: fc.constant(actor),
          before: targetSpec(actor, x.targetType),
          after: targetSpec(actor, x.targetType),
        }),
      ),
    );
    await fc.assert(
      fc.asyncProperty(edit, async ({ x, actor, before, after }) => {
        const roleId = nextId("edited");
        await h.owner.ok("POST", `${pathOf(x.targetType)}/roles`, body(roleId, before));
        const client = await principalOf(actor, x.principal);
        const was = await stored(x.targetType, roleId);
        const res = await client.patch(`${pathOf(x.targetType)}/roles/${roleId}`, {
          permissions: after.permissions,
          restrictions: after.restrictions,
        });
        const allowed =
          reachesEntity(actor, x.targetType) &&
          holds(actor, `${x.targetType}.roles.manage`) &&
          covers(actor, before) &&
          covers(actor, after);
        tally(allowed);
        check(res, allowed, `edit ${JSON.stringify(before)} into ${JSON.stringify(after)} as ${JSON.stringify(actor)}`);
        if (!allowed) expect(await stored(x.targetType, roleId)).toEqual(was);
      }),
      { numRuns: 50 },
    );
    expectBothOutcomes();
  }, 60_000);
});
