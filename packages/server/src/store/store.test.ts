import { DomainError } from "@latchkey/core";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../config.js";
import { dialects, freshDatabase } from "../test-support/databases.js";
import { createInProcessFeed } from "./change-feed.js";
import { openDatabase, type Db } from "./database.js";
import { mapDriverError } from "./errors.js";
import { migrateToLatest, migrator } from "./migrator.js";
import { decodeCursor, toPage } from "./pagination.js";
import type { RoleRow } from "./repositories/roles.js";
import type { TeamRow } from "./repositories/teams.js";
import type { UserRow } from "./repositories/users.js";
import type { AuditEventsTable, EntityType, InvitationsTable } from "./schema.js";
import { expectedHash } from "../audit/chain.js";
import { auditOf } from "../audit/repository.js";
import { createStore, type Store } from "./store.js";

/** A fixed, ordered clock: `at(n)` is n seconds after a fixed instant, as the ISO string the store keeps. */
const at = (n: number): string => new Date(Date.UTC(2024, 0, 1) + n * 1000).toISOString();

function databaseOf(url: string): Config["database"] {
  return url.startsWith("sqlite:") ? { kind: "sqlite", path: url.slice("sqlite:".length) } : { kind: "postgres", url };
}

const user = (id: string, n = 0): UserRow => ({
  id,
  email: `${id}@example.com`,
  name: id,
  password_hash: "scrypt$x",
  created_at: at(n),
  updated_at: at(n),
});
const team = (id: string, orgId: string | null = null, n = 0): TeamRow => ({
  rate_limit_per_hour: null,
  id,
  org_id: orgId,
  name: id,
  description: "",
  created_at: at(n),
  updated_at: at(n),
});
const role = (entityType: EntityType, entityId: string, id: string, n = 0, teamScope: string[] = ["team.read"]): RoleRow => ({
  entity_type: entityType,
  entity_id: entityId,
  id,
  name: id,
  description: "",
  permissions: JSON.stringify({ orgScope: [], teamScope, projectScope: [] }),
  restrictions: JSON.stringify({ enabled: false, projects: [], restrictionMode: "in" }),
  created_at: at(n),
  updated_at: at(n),
});
const invitation = (id: string, entityId: string, tokenHash = `hash-${id}`): InvitationsTable => ({
  id,
  token_hash: tokenHash,
  email: `${id}@example.com`,
  entity_type: "team",
  entity_id: entityId,
  roles: JSON.stringify(["default"]),
  invited_by: "u-inviter",
  created_at: at(0),
  expires_at: at(3600),
  accepted_at: null,
  revoked_at: null,
  confirm_hash: null,
  confirm_sent_at: null,
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe.each(dialects())("store on %s", (kind) => {
  let url: string;
  let drop: () => Promise<void>;
  let db: Db;
  let store: Store;

  beforeAll(async () => {
    ({ url, drop } = await freshDatabase(kind));
    db = await openDatabase(databaseOf(url));
    store = createStore(db, createInProcessFeed());
  });
  afterAll(async () => {
    await db.close();
    await drop();
  });

  it("opens the configured dialect and answers a ping", async () => {
    expect(db.kind).toBe(kind);
    expect(await db.ping()).toBe(true);
  });

  describe("repositories", () => {
    it("users: insert, find by id and e-mail, count, set the password", async () => {
      const before = await store.users.count();
      await store.users.insert(user("u-alice"));
      expect(await store.users.byId("u-alice")).toEqual(user("u-alice"));
      expect((await store.users.byEmail("u-alice@example.com"))?.id).toBe("u-alice");
      expect(await store.users.byId("u-nobody")).toBeUndefined();
      expect(await store.users.byEmail("nobody@example.com")).toBeUndefined();
      expect(await store.users.count()).toBe(before + 1);
      await store.users.setPassword("u-alice", "scrypt$new", at(5));
      expect(await store.users.byId("u-alice")).toMatchObject({ password_hash: "scrypt$new", updated_at: at(5), created_at: at(0) });
    });

    it("sessions: insert, find, touch, remove, remove a user's and the expired ones", async () => {
      await store.users.insert(user("u-sess"));
      const s = (idHash: string, expires: number) => ({
        id_hash: idHash,
        user_id: "u-sess",
        csrf_hash: "c",
        created_at: at(0),
        last_seen_at: at(0),
        expires_at: at(expires),
      });
      await store.sessions.insert(s("s1", 100));
      await store.sessions.insert(s("s2", 10));
      await store.sessions.insert(s("s3", 100));
      expect(await store.sessions.byIdHash("s1")).toEqual(s("s1", 100));
      await store.sessions.touch("s1", at(7));
      expect((await store.sessions.byIdHash("s1"))?.last_seen_at).toBe(at(7));
      await store.sessions.removeExpired(at(50));
      expect(await store.sessions.byIdHash("s2")).toBeUndefined();
      expect(await store.sessions.byIdHash("s1")).toBeDefined();
      await store.sessions.remove("s1");
      expect(await store.sessions.byIdHash("s1")).toBeUndefined();
      await store.sessions.removeForUser("u-sess");
      expect(await store.sessions.byIdHash("s3")).toBeUndefined();
    });

    it("orgs: insert, get, update, remove, and page the ones a user belongs to", async () => {
      await store.users.insert(user("u-orgs"));
      for (const [i, id] of ["o-a", "o-b", "o-c"].entries()) {
        await store.orgs.insert({ id, name: id, created_at: at(i), updated_at: at(i) });
      }
      await store.members.add("org", "o-a", "u-orgs", at(10));
      await store.members.add("org", "o-c", "u-orgs", at(10));
      expect(await store.orgs.byId("o-b")).toEqual({
        id: "o-b",
        name: "o-b",
        rate_limit_per_hour: null,
        created_at: at(1),
        updated_at: at(1),
      });
      await store.orgs.update("o-b", { name: "Bee", updated_at: at(9) });
      expect(await store.orgs.byId("o-b")).toMatchObject({ name: "Bee", created_at: at(1), updated_at: at(9) });
      const page = await store.orgs.pageForUser("u-orgs", { perPage: 10 });
      expect(page.items.map((o) => o.id)).toEqual(["o-c", "o-a"]);
      expect(page).toMatchObject({ hasNextPage: false });
      expect(page).not.toHaveProperty("cursor");
      await store.orgs.remove("o-b");
      expect(await store.orgs.byId("o-b")).toBeUndefined();
    });

    it("teams: insert, get, update, remove, list an organisation's ids", async () => {
      await store.orgs.insert({ id: "o-teams", name: "o", created_at: at(0), updated_at: at(0) });
      await store.teams.insert(team("t-in-1", "o-teams", 1));
      await store.teams.insert(team("t-in-2", "o-teams", 2));
      await store.teams.insert(team("t-alone", null, 3));
      expect(await store.teams.byId("t-alone")).toEqual(team("t-alone", null, 3));
      expect(await store.teams.byId("t-nothing")).toBeUndefined();
      expect((await store.teams.idsOfOrg("o-teams")).sort()).toEqual(["t-in-1", "t-in-2"]);
      expect(await store.teams.idsOfOrg("o-none")).toEqual([]);
      await store.teams.update("t-alone", { description: "solo", updated_at: at(8) });
      expect(await store.teams.byId("t-alone")).toMatchObject({ name: "t-alone", description: "solo", updated_at: at(8) });
      await store.teams.remove("t-in-2");
      expect(await store.teams.idsOfOrg("o-teams")).toEqual(["t-in-1"]);
    });

    it("teams: page by team ids, organisation ids and one organisation, newest first", async () => {
      await store.orgs.insert({ id: "o-page", name: "o", created_at: at(0), updated_at: at(0) });
      await store.teams.insert(team("tp-1", "o-page", 1));
      await store.teams.insert(team("tp-2", "o-page", 2));
      await store.teams.insert(team("tp-3", null, 3));
      const ids = async (scope: { teamIds: string[]; orgIds: string[]; orgId?: string }) =>
        (await store.teams.page(scope, { perPage: 50 })).items.map((t) => t.id);
      expect(await ids({ teamIds: ["tp-3"], orgIds: ["o-page"] })).toEqual(["tp-3", "tp-2", "tp-1"]);
      expect(await ids({ teamIds: ["tp-1"], orgIds: [] })).toEqual(["tp-1"]);
      expect(await ids({ teamIds: ["tp-3"], orgIds: ["o-page"], orgId: "o-page" })).toEqual(["tp-2", "tp-1"]);
      expect(await ids({ teamIds: ["tp-1", "tp-3"], orgIds: [], orgId: "o-page" })).toEqual(["tp-1"]);
    });

    it("teams: page with an empty scope is an empty page, not an error", async () => {
      const page = await store.teams.page({ teamIds: [], orgIds: [] }, { perPage: 10 });
      expect(page).toEqual({ items: [], hasNextPage: false });
    });

    it("removing a team removes its projects; removing an organisation removes its teams", async () => {
      await store.orgs.insert({ id: "o-cascade", name: "o", created_at: at(0), updated_at: at(0) });
      await store.teams.insert(team("t-cascade", "o-cascade"));
      await store.teams.insert(team("t-cascade-2"));
      await store.projects.insert({ team_id: "t-cascade", id: "p", name: "p", description: "", created_at: at(0), updated_at: at(0) });
      await store.projects.insert({ team_id: "t-cascade-2", id: "p", name: "p", description: "", created_at: at(0), updated_at: at(0) });
      await store.teams.remove("t-cascade-2");
      expect(await store.projects.byId("t-cascade-2", "p")).toBeUndefined();
      await store.orgs.remove("o-cascade");
      expect(await store.teams.byId("t-cascade")).toBeUndefined();
      expect(await store.projects.byId("t-cascade", "p")).toBeUndefined();
    });

    it("roles: insert, get one or many, update, remove, remove all of an entity, page", async () => {
      await store.roles.insert(role("team", "t-roles", "r1", 1));
      await store.roles.insert(role("team", "t-roles", "r2", 2));
      await store.roles.insert(role("team", "t-roles", "r3", 3));
      // The same role id in another entity, and in an organisation of the same id, are other roles.
      await store.roles.insert(role("team", "t-roles-other", "r1", 1));
      await store.roles.insert(role("org", "t-roles", "r1", 1));
      expect(await store.roles.byId("team", "t-roles", "r2")).toEqual(role("team", "t-roles", "r2", 2));
      expect(await store.roles.byId("team", "t-roles", "r9")).toBeUndefined();
      expect((await store.roles.byIds("team", "t-roles", ["r1", "r3", "r9"])).map((r) => r.id).sort()).toEqual(["r1", "r3"]);
      expect(await store.roles.byIds("team", "t-roles", [])).toEqual([]);
      const perms = JSON.stringify({ orgScope: [], teamScope: ["team.read", "team.update"], projectScope: [] });
      await store.roles.update("team", "t-roles", "r1", { name: "Reader", permissions: perms, updated_at: at(9) });
      expect(await store.roles.byId("team", "t-roles", "r1")).toMatchObject({
        name: "Reader",
        permissions: perms,
        updated_at: at(9),
        created_at: at(1),
      });
      expect((await store.roles.byId("team", "t-roles-other", "r1"))?.name).toBe("r1");
      expect((await store.roles.byId("org", "t-roles", "r1"))?.name).toBe("r1");

      const page = await store.roles.page("team", "t-roles", { perPage: 2 });
      expect(page.items.map((r) => r.id)).toEqual(["r3", "r2"]);
      expect(page.hasNextPage).toBe(true);
      const rest = await store.roles.page("team", "t-roles", { perPage: 2, cursor: page.cursor });
      expect(rest.items.map((r) => r.id)).toEqual(["r1"]);
      expect(rest).not.toHaveProperty("cursor");

      await store.roles.remove("team", "t-roles", "r2");
      expect(await store.roles.byId("team", "t-roles", "r2")).toBeUndefined();
      await store.roles.removeAllOf("team", "t-roles");
      expect((await store.roles.page("team", "t-roles", { perPage: 10 })).items).toEqual([]);
      expect(await store.roles.byId("team", "t-roles-other", "r1")).toBeDefined();
      expect(await store.roles.byId("org", "t-roles", "r1")).toBeDefined();
    });

    it("roles.heldBy: every role a user holds, with the organisation of a team role's team", async () => {
      await store.users.insert(user("u-held"));
      await store.orgs.insert({ id: "o-held", name: "o", created_at: at(0), updated_at: at(0) });
      await store.teams.insert(team("t-held-in", "o-held"));
      await store.teams.insert(team("t-held-alone"));
      for (const [type, id, roleId] of [
        ["team", "t-held-in", "dev"],
        ["team", "t-held-alone", "ops"],
        ["org", "o-held", "boss"],
      ] as const) {
        await store.roles.insert(role(type, id, roleId));
        await store.members.add(type, id, "u-held", at(0));
        await store.members.setRoles(type, id, "u-held", [roleId]);
      }
      // A role the user does not hold is not returned.
      await store.roles.insert(role("team", "t-held-in", "unheld"));
      const held = await store.roles.heldBy("u-held");
      const summary = held
        .map((r) => [r.entity_type, r.entity_id, r.id, r.team_org_id])
        .sort((a, b) => String(a[2]).localeCompare(String(b[2])));
      expect(summary).toEqual([
        ["org", "o-held", "boss", null],
        ["team", "t-held-in", "dev", "o-held"],
        ["team", "t-held-alone", "ops", null],
      ]);
      expect(held.find((r) => r.id === "dev")?.permissions).toBe(role("team", "t-held-in", "dev").permissions);
      expect(await store.roles.heldBy("u-nobody")).toEqual([]);
    });

    it("members: add, get, page (all or by role), remove; remove all of an entity", async () => {
      for (const [i, id] of ["u-m1", "u-m2", "u-m3"].entries()) {
        await store.users.insert(user(id));
        await store.members.add("team", "t-members", id, at(i));
      }
      await store.roles.insert(role("team", "t-members", "owner"));
      await store.roles.insert(role("team", "t-members", "dev"));
      await store.members.setRoles("team", "t-members", "u-m1", ["owner", "dev"]);
      await store.members.setRoles("team", "t-members", "u-m2", ["dev"]);
      expect(await store.members.get("team", "t-members", "u-m1")).toEqual({
        userId: "u-m1",
        email: "u-m1@example.com",
        name: "u-m1",
        joinedAt: at(0),
        roles: ["dev", "owner"],
      });
      expect(await store.members.get("team", "t-members", "u-nobody")).toBeUndefined();
      expect(await store.members.get("org", "t-members", "u-m1")).toBeUndefined();

      const all = await store.members.page("team", "t-members", { perPage: 2 });
      expect(all.items.map((m) => [m.userId, m.roles])).toEqual([
        ["u-m3", []],
        ["u-m2", ["dev"]],
      ]);
      const rest = await store.members.page("team", "t-members", { perPage: 2, cursor: all.cursor });
      expect(rest.items.map((m) => m.userId)).toEqual(["u-m1"]);
      expect(rest.hasNextPage).toBe(false);
      expect((await store.members.page("team", "t-members", { perPage: 10 }, "dev")).items.map((m) => m.userId)).toEqual(["u-m2", "u-m1"]);
      expect((await store.members.page("team", "t-members", { perPage: 10 }, "owner")).items.map((m) => m.userId)).toEqual(["u-m1"]);

      expect((await store.members.entitiesOf("u-m1")).filter((e) => e.entity_id === "t-members")).toEqual([
        { entity_type: "team", entity_id: "t-members" },
      ]);
      // Leaving drops the roles held there too.
      await store.members.remove("team", "t-members", "u-m2");
      expect(await store.members.get("team", "t-members", "u-m2")).toBeUndefined();
      expect(await store.members.countHolders("team", "t-members", "dev")).toBe(1);
      await store.members.removeAllOf("team", "t-members");
      expect((await store.members.page("team", "t-members", { perPage: 10 })).items).toEqual([]);
      expect(await store.members.countHolders("team", "t-members", "owner")).toBe(0);
    });

    it("members: setRoles replaces, addRole is idempotent, removeRole takes one, countHolders counts", async () => {
      await store.users.insert(user("u-r1"));
      await store.users.insert(user("u-r2"));
      for (const r of ["owner", "admin", "default"]) await store.roles.insert(role("org", "o-roles", r));
      await store.members.add("org", "o-roles", "u-r1", at(0));
      await store.members.add("org", "o-roles", "u-r2", at(1));
      const rolesOf = async (u: string) => (await store.members.get("org", "o-roles", u))?.roles;

      await store.members.setRoles("org", "o-roles", "u-r1", ["owner", "admin"]);
      expect(await rolesOf("u-r1")).toEqual(["admin", "owner"]);
      await store.members.setRoles("org", "o-roles", "u-r1", ["default"]);
      expect(await rolesOf("u-r1")).toEqual(["default"]);
      await store.members.setRoles("org", "o-roles", "u-r1", []);
      expect(await rolesOf("u-r1")).toEqual([]);

      await store.members.addRole("org", "o-roles", "u-r1", "owner");
      await store.members.addRole("org", "o-roles", "u-r1", "owner");
      await store.members.addRole("org", "o-roles", "u-r2", "owner");
      expect(await rolesOf("u-r1")).toEqual(["owner"]);
      expect(await store.members.countHolders("org", "o-roles", "owner")).toBe(2);
      expect(await store.members.countHolders("org", "o-roles", "admin")).toBe(0);
      expect(await store.members.countHolders("team", "o-roles", "owner")).toBe(0);

      await store.members.removeRole("org", "o-roles", "u-r2", "owner");
      expect(await rolesOf("u-r2")).toEqual([]);
      expect(await store.members.countHolders("org", "o-roles", "owner")).toBe(1);
      // Removing a role that is not held changes nothing.
      await store.members.removeRole("org", "o-roles", "u-r2", "owner");
      expect(await store.members.countHolders("org", "o-roles", "owner")).toBe(1);

      // Deleting the role takes it from its holders.
      await store.roles.remove("org", "o-roles", "owner");
      expect(await store.members.countHolders("org", "o-roles", "owner")).toBe(0);
      expect(await rolesOf("u-r1")).toEqual([]);
    });

    it("members: a role that does not exist, or a person who is not a member, cannot be held (NOT_FOUND)", async () => {
      await store.users.insert(user("u-fk"));
      await store.roles.insert(role("team", "t-fk", "dev"));
      await store.members.add("team", "t-fk", "u-fk", at(0));
      const noRole = await rejection(store.transaction((tx) => tx.members.setRoles("team", "t-fk", "u-fk", ["ghost"])));
      expect(noRole).toBeInstanceOf(DomainError);
      expect((noRole as DomainError).code).toBe("NOT_FOUND");
      const notMember = await rejection(store.transaction((tx) => tx.members.addRole("team", "t-fk", "u-nobody", "dev")));
      expect((notMember as DomainError).code).toBe("NOT_FOUND");
      expect(await store.members.countHolders("team", "t-fk", "dev")).toBe(0);
    });

    it("projects: insert, get, update, remove, page with restriction filters", async () => {
      await store.teams.insert(team("t-proj"));
      await store.teams.insert(team("t-proj-other"));
      for (const [i, id] of ["alpha", "beta", "gamma"].entries()) {
        await store.projects.insert({ team_id: "t-proj", id, name: id, description: "", created_at: at(i), updated_at: at(i) });
      }
      await store.projects.insert({
        team_id: "t-proj-other",
        id: "alpha",
        name: "other",
        description: "",
        created_at: at(0),
        updated_at: at(0),
      });
      expect(await store.projects.byId("t-proj", "alpha")).toMatchObject({ team_id: "t-proj", id: "alpha", name: "alpha" });
      expect((await store.projects.byId("t-proj-other", "alpha"))?.name).toBe("other");
      await store.projects.update("t-proj", "alpha", { description: "first", updated_at: at(9) });
      expect(await store.projects.byId("t-proj", "alpha")).toMatchObject({ description: "first", updated_at: at(9) });
      expect((await store.projects.byId("t-proj-other", "alpha"))?.description).toBe("");

      const ids = async (filter?: { only?: string[]; except?: string[] }) =>
        (await store.projects.page("t-proj", { perPage: 10 }, filter)).items.map((p) => p.id);
      expect(await ids()).toEqual(["gamma", "beta", "alpha"]);
      expect(await ids({ only: ["alpha", "gamma", "zeta"] })).toEqual(["gamma", "alpha"]);
      expect(await ids({ except: ["beta"] })).toEqual(["gamma", "alpha"]);
      expect(await ids({ except: [] })).toEqual(["gamma", "beta", "alpha"]);

      await store.projects.remove("t-proj", "beta");
      expect(await store.projects.byId("t-proj", "beta")).toBeUndefined();
      expect(await ids()).toEqual(["gamma", "alpha"]);
    });

    it("projects: an empty `only` filter is an empty page, not an error", async () => {
      await store.teams.insert(team("t-proj-none"));
      await store.projects.insert({ team_id: "t-proj-none", id: "p", name: "p", description: "", created_at: at(0), updated_at: at(0) });
      expect(await store.projects.page("t-proj-none", { perPage: 10 }, { only: [] })).toEqual({ items: [], hasNextPage: false });
    });

    it("invitations: insert, find by hash, accept only once, remove all of an entity", async () => {
      await store.invitations.insert(invitation("inv-1", "t-inv"));
      await store.invitations.insert(invitation("inv-2", "t-inv"));
      await store.invitations.insert(invitation("inv-3", "t-inv-other"));
      expect(await store.invitations.byTokenHash("hash-inv-1")).toEqual(invitation("inv-1", "t-inv"));
      expect(await store.invitations.byTokenHash("hash-nothing")).toBeUndefined();

      const results = await Promise.all([store.invitations.accept("inv-1", at(5)), store.invitations.accept("inv-1", at(6))]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.invitations.accept("inv-1", at(7))).toBe(false);
      expect((await store.invitations.byTokenHash("hash-inv-1"))?.accepted_at).toMatch(/^2024-01-01T00:00:0[56]/);
      expect(await store.invitations.accept("inv-nothing", at(7))).toBe(false);

      const dupHash = await rejection(store.transaction((tx) => tx.invitations.insert(invitation("inv-4", "t-inv", "hash-inv-2"))));
      expect((dupHash as DomainError).code).toBe("CONFLICT");

      await store.invitations.removeAllOf("team", "t-inv");
      expect(await store.invitations.byTokenHash("hash-inv-2")).toBeUndefined();
      expect(await store.invitations.byTokenHash("hash-inv-3")).toBeDefined();
    });

    it("meta: get is undefined until set; set upserts; remove", async () => {
      expect(await store.meta.get("k-test")).toBeUndefined();
      await store.meta.set("k-test", "one");
      expect(await store.meta.get("k-test")).toBe("one");
      await store.meta.set("k-test", "two");
      expect(await store.meta.get("k-test")).toBe("two");
      await store.transaction((tx) => tx.meta.set("k-test", "three"));
      expect(await store.meta.get("k-test")).toBe("three");
      await store.meta.remove("k-test");
      expect(await store.meta.get("k-test")).toBeUndefined();
    });
  });

  describe("transactions", () => {
    it("commits and returns what the work returns", async () => {
      const result = await store.transaction(async (tx) => {
        await tx.teams.insert(team("t-tx-ok"));
        await tx.roles.insert(role("team", "t-tx-ok", "owner"));
        return tx.teams.byId("t-tx-ok");
      });
      expect(result?.id).toBe("t-tx-ok");
      expect(await store.roles.byId("team", "t-tx-ok", "owner")).toBeDefined();
    });

    it("turns a unique violation into DomainError CONFLICT (409) and keeps none of the transaction's writes", async () => {
      await store.teams.insert(team("t-tx-taken"));
      const error = await rejection(
        store.transaction(async (tx) => {
          await tx.orgs.insert({ id: "o-tx-partial", name: "o", created_at: at(0), updated_at: at(0) });
          await tx.teams.insert(team("t-tx-taken"));
        }),
      );
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe("CONFLICT");
      expect((error as DomainError).status).toBe(409);
      expect(await store.orgs.byId("o-tx-partial")).toBeUndefined();
      expect(await store.teams.byId("t-tx-taken")).toEqual(team("t-tx-taken"));
    });

    it("maps composite-key violations too (a role id twice in one entity)", async () => {
      await store.roles.insert(role("team", "t-tx-role", "dup"));
      const error = await rejection(store.transaction((tx) => tx.roles.insert(role("team", "t-tx-role", "dup"))));
      expect((error as DomainError).code).toBe("CONFLICT");
    });

    it("leaves nothing written when the work throws midway, and passes the error on unchanged", async () => {
      const boom = new Error("boom");
      const error = await rejection(
        store.transaction(async (tx) => {
          await tx.teams.insert(team("t-tx-rollback"));
          await tx.roles.insert(role("team", "t-tx-rollback", "owner"));
          await tx.meta.set("k-rollback", "x");
          throw boom;
        }),
      );
      expect(error).toBe(boom);
      expect(await store.teams.byId("t-tx-rollback")).toBeUndefined();
      expect(await store.roles.byId("team", "t-tx-rollback", "owner")).toBeUndefined();
      expect(await store.meta.get("k-rollback")).toBeUndefined();
      // The connection is usable afterwards, and the id is free.
      await store.transaction((tx) => tx.teams.insert(team("t-tx-rollback")));
      expect(await store.teams.byId("t-tx-rollback")).toBeDefined();
    });

    it("passes a DomainError thrown by the work through as it is", async () => {
      const domain = new DomainError("FORBIDDEN", "no", { permission: "team.delete" });
      expect(await rejection(store.transaction(() => Promise.reject(domain)))).toBe(domain);
    });
  });

  describe("pagination", () => {
    it("pages newest first with a cursor, breaking ties on time by id, until the cursor is absent", async () => {
      await store.teams.insert(team("t-pages"));
      const rows: [string, number][] = [
        ["p1", 1],
        ["p2", 2],
        ["p3", 3],
        ["p4a", 4],
        ["p4b", 4],
        ["p5", 5],
      ];
      for (const [id, n] of rows)
        await store.projects.insert({ team_id: "t-pages", id, name: id, description: "", created_at: at(n), updated_at: at(n) });
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.projects.page("t-pages", { perPage: 2, cursor });
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((p) => p.id));
        if (page.hasNextPage) expect(typeof page.cursor).toBe("string");
        else expect(page).not.toHaveProperty("cursor");
        cursor = page.cursor;
        pages++;
      } while (cursor && pages < 10);
      expect(seen).toEqual(["p5", "p4b", "p4a", "p3", "p2", "p1"]);
      expect(pages).toBe(3);
      // Exactly a page's worth: no next page.
      expect(await store.projects.page("t-pages", { perPage: 6 })).toMatchObject({ hasNextPage: false });
    });

    it("refuses a cursor that is not one of its own with VALIDATION_FAILED", async () => {
      for (const bad of ["garbage", Buffer.from("[1,2]").toString("base64url"), Buffer.from('{"a":1}').toString("base64url"), ""]) {
        const error = await rejection(store.projects.page("t-pages", { perPage: 2, cursor: bad }));
        expect(error).toBeInstanceOf(DomainError);
        expect((error as DomainError).code).toBe("VALIDATION_FAILED");
      }
    });

    it("encodes and decodes cursors symmetrically", () => {
      const page = toPage(
        [
          { c: at(3), id: "b" },
          { c: at(2), id: "a" },
          { c: at(1), id: "z" },
        ],
        2,
        (r) => ({ createdAt: r.c, id: r.id }),
      );
      expect(page.items.map((r) => r.id)).toEqual(["b", "a"]);
      expect(decodeCursor(page.cursor)).toEqual({ createdAt: at(2), id: "a" });
      expect(decodeCursor(undefined)).toBeUndefined();
      expect(toPage([], 2, () => ({ createdAt: "", id: "" }))).toEqual({ items: [], hasNextPage: false });
    });
  });

  describe("driver errors", () => {
    it("pass through when they mean nothing the store knows", () => {
      const other = new Error("disk on fire");
      expect(mapDriverError(other)).toBe(other);
      expect(mapDriverError(null)).toBe(null);
      expect(mapDriverError("text")).toBe("text");
    });

    it("map unique and foreign-key violations of both drivers", () => {
      for (const code of ["SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY", "23505"]) {
        expect((mapDriverError(Object.assign(new Error("x"), { code })) as DomainError).code).toBe("CONFLICT");
      }
      for (const code of ["SQLITE_CONSTRAINT_FOREIGNKEY", "23503"]) {
        expect((mapDriverError(Object.assign(new Error("x"), { code })) as DomainError).code).toBe("NOT_FOUND");
      }
      expect((mapDriverError(Object.assign(new Error("x"), { code: "23505" }), "team") as DomainError).message).toContain("team");
    });
  });

  describe("migrations", () => {
    it("are idempotent: opening the same database again keeps its data", async () => {
      await store.meta.set("k-migrate", "kept");
      const again = await openDatabase(databaseOf(url));
      try {
        expect(await again.ping()).toBe(true);
        const second = createStore(again, createInProcessFeed());
        expect(await second.meta.get("k-migrate")).toBe("kept");
        expect(await second.teams.byId("t-pages")).toBeDefined();
        await migrateToLatest(again.kysely as Kysely<unknown>);
        await second.meta.set("k-migrate-2", "from the second handle");
      } finally {
        await again.close();
      }
      expect(await store.meta.get("k-migrate-2")).toBe("from the second handle");
      await migrateToLatest(db.kysely as Kysely<unknown>);
      expect(await store.meta.get("k-migrate")).toBe("kept");
    });

    it("007 moves a token feed's stored events into segments and back, every hash unchanged", async () => {
      const request = (n: number): AuditEventsTable => ({
        ...{ id: `evt_${String(n).padStart(4, "0")}`, feed: "token:tok-m", seq: 0, entity_type: "team", entity_id: "t-m", at: at(n) },
        ...{ event_type: "request", actor_type: "apiToken", actor_id: "tok-m", actor_email: null, token_id: "tok-m", origin: "api" },
        ...{ outcome: n % 2 ? "allowed" : "denied", status: n % 2 ? 200 : 403, method: "GET", path: `/v1/projects/${n}` },
        ...{ resource_type: "projects", resource_id: String(n), ip: "10.0.0.1", user_agent: "ua", duration_ms: n, details: "{}" },
        ...{ prev_hash: "", hash: "" },
      });
      for (const batch of [[1, 2, 3], [4], [5, 6]]) await store.transaction((tx) => auditOf(tx).append(batch.map(request)));
      const kysely = db.kysely;
      const chainOf = async () => {
        // A chunk is a few segments: read on until the feed's end.
        const rows: AuditEventsTable[] = [];
        for (let more = await auditOf(store).chunk("token:tok-m", 0, 100); more.length > 0;) {
          rows.push(...more);
          more = await auditOf(store).chunk("token:tok-m", rows[rows.length - 1]?.seq ?? 0, 100);
        }
        rows.forEach((row) => expect(expectedHash(row)).toBe(row.hash));
        return rows.map((r) => [r.seq, r.id, r.prev_hash, r.hash]);
      };
      const before = await chainOf();
      expect(before).toHaveLength(6);
      const segments = await kysely
        .selectFrom("audit_segments")
        .selectAll()
        .where("feed", "=", "token:tok-m")
        .orderBy("first_seq")
        .execute();
      expect(segments.map((s) => [s.first_seq, s.last_seq])).toEqual([
        [1, 3],
        [4, 4],
        [5, 6],
      ]);

      // To the migration before 007 by name: later migrations are taken down on the way.
      const down = await migrator(kysely as Kysely<unknown>).migrateTo("006-cli-logins");
      expect(down.error).toBeUndefined();
      const rows = await kysely.selectFrom("audit_events").selectAll().where("feed", "=", "token:tok-m").orderBy("seq").execute();
      expect(rows.map((r) => [Number(r.seq), r.id, r.prev_hash, r.hash])).toEqual(before);

      await migrateToLatest(kysely as Kysely<unknown>);
      expect(await kysely.selectFrom("audit_events").select("id").where("feed", "=", "token:tok-m").execute()).toEqual([]);
      expect(await chainOf()).toEqual(before);
    });

    it("010 gives existing owner roles the rate-limit permissions, where new owner roles have them, and no other role", async () => {
      const kysely = db.kysely as Kysely<unknown>;
      expect((await migrator(kysely).migrateTo("007-audit-segments")).error).toBeUndefined();
      const perms = (orgScope: string[], teamScope: string[]) => JSON.stringify({ orgScope, teamScope, projectScope: ["project.read"] });
      const old = (entityType: EntityType, entityId: string, id: string, permissions: string): RoleRow => ({
        ...role(entityType, entityId, id),
        permissions,
      });
      await store.roles.insert(old("team", "t-m10", "owner", perms([], ["team.read", "team.update", "team.delete"])));
      await store.roles.insert(old("team", "t-m10", "admin", perms([], ["team.read", "team.update"])));
      await store.roles.insert(old("org", "o-m10", "owner", perms(["org.read", "org.update", "org.delete"], ["team.read", "team.update"])));
      await store.roles.insert(old("org", "o-m10", "admin", perms(["org.read", "org.update"], ["team.read", "team.update"])));

      // To 010 only: 011 gives owners more ids (its own test below).
      expect((await migrator(kysely).migrateTo("010-ratelimit-permission")).error).toBeUndefined();
      const permissionsOf = async (entityType: EntityType, entityId: string, id: string) =>
        JSON.parse((await store.roles.byId(entityType, entityId, id))?.permissions ?? "null") as unknown;
      expect(await permissionsOf("team", "t-m10", "owner")).toEqual({
        orgScope: [],
        teamScope: ["team.read", "team.update", "team.delete", "team.ratelimits.manage"],
        projectScope: ["project.read"],
      });
      expect(await permissionsOf("org", "o-m10", "owner")).toEqual({
        orgScope: ["org.read", "org.update", "org.delete", "org.ratelimits.manage"],
        teamScope: ["team.read", "team.update", "team.ratelimits.manage"],
        projectScope: ["project.read"],
      });
      expect(await permissionsOf("team", "t-m10", "admin")).toEqual(JSON.parse(perms([], ["team.read", "team.update"])));
      expect(await permissionsOf("org", "o-m10", "admin")).toEqual(
        JSON.parse(perms(["org.read", "org.update"], ["team.read", "team.update"])),
      );

      // Down takes the ids out of every role that holds them, owner or not; up puts them back on owners only.
      await store.roles.update("team", "t-m10", "admin", {
        permissions: perms([], ["team.read", "team.ratelimits.manage"]),
        updated_at: at(1),
      });
      expect((await migrator(kysely).migrateTo("007-audit-segments")).error).toBeUndefined();
      expect(await permissionsOf("team", "t-m10", "owner")).toEqual(JSON.parse(perms([], ["team.read", "team.update", "team.delete"])));
      expect(await permissionsOf("team", "t-m10", "admin")).toEqual(JSON.parse(perms([], ["team.read"])));
      expect((await migrator(kysely).migrateTo("010-ratelimit-permission")).error).toBeUndefined();
      expect(await permissionsOf("team", "t-m10", "admin")).toEqual(JSON.parse(perms([], ["team.read"])));
      await migrateToLatest(kysely);
    });

    it("013 gives existing owner roles the trust-policy permissions and no other role; down takes them out of all", async () => {
      const kysely = db.kysely as Kysely<unknown>;
      expect((await migrator(kysely).migrateTo("011-apis")).error).toBeUndefined();
      const perms = (orgScope: string[], teamScope: string[]) => JSON.stringify({ orgScope, teamScope, projectScope: [] });
      await store.roles.insert({ ...role("team", "t-m13", "owner"), permissions: perms([], ["team.read"]) });
      await store.roles.insert({ ...role("org", "o-m13", "owner"), permissions: perms(["org.read"], ["team.read"]) });
      await store.roles.insert({ ...role("team", "t-m13", "admin"), permissions: perms([], ["team.read"]) });
      expect((await migrator(kysely).migrateTo("013-federation")).error).toBeUndefined();
      const permissionsOf = async (entityType: EntityType, entityId: string, id: string) =>
        JSON.parse((await store.roles.byId(entityType, entityId, id))?.permissions ?? "null") as unknown;
      expect(await permissionsOf("team", "t-m13", "owner")).toEqual(
        JSON.parse(perms([], ["team.read", "team.trustpolicies.read", "team.trustpolicies.manage"])),
      );
      expect(await permissionsOf("org", "o-m13", "owner")).toEqual(
        JSON.parse(
          perms(
            ["org.read", "org.trustpolicies.read", "org.trustpolicies.manage"],
            ["team.read", "team.trustpolicies.read", "team.trustpolicies.manage"],
          ),
        ),
      );
      expect(await permissionsOf("team", "t-m13", "admin")).toEqual(JSON.parse(perms([], ["team.read"])));
      expect((await migrator(kysely).migrateTo("011-apis")).error).toBeUndefined();
      expect(await permissionsOf("org", "o-m13", "owner")).toEqual(JSON.parse(perms(["org.read"], ["team.read"])));
      await migrateToLatest(kysely);
    });

    it("011 gives existing owner roles the APIs permissions, and down takes them and every apiScope out again", async () => {
      const kysely = db.kysely as Kysely<unknown>;
      expect((await migrator(kysely).migrateTo("010-ratelimit-permission")).error).toBeUndefined();
      const perms = (orgScope: string[], teamScope: string[]) => JSON.stringify({ orgScope, teamScope, projectScope: [] });
      const old = (entityType: EntityType, entityId: string, id: string, permissions: string): RoleRow => ({
        ...role(entityType, entityId, id),
        permissions,
      });
      await store.roles.insert(old("team", "t-m11", "owner", perms([], ["team.read"])));
      await store.roles.insert(old("team", "t-m11", "admin", perms([], ["team.read"])));
      await store.roles.insert(old("org", "o-m11", "owner", perms(["org.read"], ["team.read"])));
      expect((await migrator(kysely).migrateTo("011-apis")).error).toBeUndefined();
      const permissionsOf = async (entityType: EntityType, entityId: string, id: string) =>
        JSON.parse((await store.roles.byId(entityType, entityId, id))?.permissions ?? "null") as unknown;
      expect(await permissionsOf("team", "t-m11", "owner")).toEqual(
        JSON.parse(perms([], ["team.read", "team.apis.read", "team.apis.manage", "team.apis.verify"])),
      );
      expect(await permissionsOf("team", "t-m11", "admin")).toEqual(JSON.parse(perms([], ["team.read"])));
      expect(await permissionsOf("org", "o-m11", "owner")).toEqual(
        JSON.parse(
          perms(
            ["org.read", "org.apis.read", "org.apis.manage", "org.apis.verify"],
            ["team.read", "team.apis.read", "team.apis.manage", "team.apis.verify"],
          ),
        ),
      );
      // The tables exist in both dialects; a role may then hold apiScope, which down removes.
      await store.apis.insert({
        entity_type: "team",
        entity_id: "t-m11",
        id: "billing",
        name: "Billing",
        description: "",
        created_at: at(1),
        updated_at: at(1),
      });
      await store.apis.setPermissions({ type: "team", id: "t-m11" }, "billing", [
        { id: "invoices.read", description: "", sensitive: true },
      ]);
      expect(await store.apis.permissionsOf({ type: "team", id: "t-m11" }, ["billing"])).toMatchObject([
        { id: "invoices.read", sensitive: 1 },
      ]);
      await store.roles.update("team", "t-m11", "admin", {
        permissions: JSON.stringify({
          orgScope: [],
          teamScope: ["team.read", "team.apis.read"],
          projectScope: [],
          apiScope: ["billing:invoices.read"],
        }),
        updated_at: at(2),
      });
      expect((await migrator(kysely).migrateTo("010-ratelimit-permission")).error).toBeUndefined();
      expect(await permissionsOf("team", "t-m11", "admin")).toEqual(JSON.parse(perms([], ["team.read"])));
      expect(await permissionsOf("team", "t-m11", "owner")).toEqual(JSON.parse(perms([], ["team.read"])));
      await migrateToLatest(kysely);
      expect(await store.apis.count({ type: "team", id: "t-m11" })).toBe(0);
    });

    it("017 gives existing owner roles the webhook permissions and no other role; down takes them from every role", async () => {
      const kysely = db.kysely as Kysely<unknown>;
      expect((await migrator(kysely).migrateTo("016-project-fields")).error).toBeUndefined();
      const perms = (orgScope: string[], teamScope: string[]) => JSON.stringify({ orgScope, teamScope, projectScope: [] });
      await store.roles.insert({ ...role("org", "o-m17", "owner"), permissions: perms(["org.read"], ["team.read"]) });
      await store.roles.insert({ ...role("team", "t-m17", "admin"), permissions: perms([], ["team.read"]) });
      expect((await migrator(kysely).migrateTo("017-webhooks")).error).toBeUndefined();
      const permissionsOf = async (entityType: EntityType, entityId: string, id: string) =>
        JSON.parse((await store.roles.byId(entityType, entityId, id))?.permissions ?? "null") as unknown;
      expect(await permissionsOf("org", "o-m17", "owner")).toEqual(
        JSON.parse(
          perms(["org.read", "org.webhooks.read", "org.webhooks.manage"], ["team.read", "team.webhooks.read", "team.webhooks.manage"]),
        ),
      );
      expect(await permissionsOf("team", "t-m17", "admin")).toEqual(JSON.parse(perms([], ["team.read"])));
      expect((await migrator(kysely).migrateTo("016-project-fields")).error).toBeUndefined();
      expect(await permissionsOf("org", "o-m17", "owner")).toEqual(JSON.parse(perms(["org.read"], ["team.read"])));
      await migrateToLatest(kysely);
    });
  });
});
