import { DEFAULT_ORG_ROLES, DEFAULT_TEAM_ROLES, type PermissionSet } from "@latchkey/core";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects, freshDatabase } from "../test-support/databases.js";
import { createInProcessFeed } from "./change-feed.js";
import { openDatabase, type Db } from "./database.js";
import { migrator } from "./migrator.js";
import type { EntityType } from "./schema.js";
import { createStore, type Store } from "./store.js";

const AT = new Date(Date.UTC(2024, 0, 1)).toISOString();
/** Permissions added since the first release that a new admin role holds (011, 013, 017). */
const NEWER = /\.(apis|trustpolicies|webhooks)\./;

type Scopes = Pick<PermissionSet, "orgScope" | "teamScope" | "projectScope"> & { apiScope?: string[] };
const copy = (p: Scopes): Scopes => JSON.parse(JSON.stringify(p)) as Scopes;
/** A role as a database seeded before APIs, trust policies and webhooks holds it. */
const older = (p: Scopes): Scopes => ({
  orgScope: p.orgScope.filter((id) => !NEWER.test(id)),
  teamScope: p.teamScope.filter((id) => !NEWER.test(id)),
  projectScope: [...p.projectScope],
});
/** A permission set compared as sets (a migration appends; a new role lists in catalogue order). */
const sorted = (p: Scopes) => ({
  orgScope: [...p.orgScope].sort(),
  teamScope: [...p.teamScope].sort(),
  projectScope: [...p.projectScope].sort(),
  apiScope: [...(p.apiScope ?? [])].sort(),
});
const seeded = (roles: typeof DEFAULT_TEAM_ROLES | typeof DEFAULT_ORG_ROLES, id: string): Scopes =>
  copy(roles.find((r) => r.id === id)!.permissions);

describe.each(dialects())("migration 018 on %s", (kind) => {
  let drop: () => Promise<void>;
  let db: Db;
  let store: Store;
  let kysely: Kysely<unknown>;

  beforeAll(async () => {
    const fresh = await freshDatabase(kind);
    drop = fresh.drop;
    db = await openDatabase(
      fresh.url.startsWith("sqlite:") ? { kind: "sqlite", path: fresh.url.slice(7) } : { kind: "postgres", url: fresh.url },
    );
    store = createStore(db, createInProcessFeed());
    kysely = db.kysely as Kysely<unknown>;
  });
  afterAll(async () => {
    await db.close();
    await drop();
  });

  const insert = (entityType: EntityType, entityId: string, id: string, permissions: Scopes) =>
    store.roles.insert({
      entity_type: entityType,
      entity_id: entityId,
      id,
      name: id,
      description: "",
      permissions: JSON.stringify(permissions),
      restrictions: JSON.stringify({ enabled: false, projects: [], restrictionMode: "in" }),
      created_at: AT,
      updated_at: AT,
    });
  const permissionsOf = async (entityType: EntityType, entityId: string, id: string) =>
    JSON.parse((await store.roles.byId(entityType, entityId, id))?.permissions ?? "null") as Scopes;
  const api = async (entityType: EntityType, entityId: string, apiId: string, permissionIds: string[]) => {
    await store.apis.insert({
      entity_type: entityType,
      entity_id: entityId,
      id: apiId,
      name: apiId,
      description: "",
      created_at: AT,
      updated_at: AT,
    });
    await store.apis.setPermissions(
      { type: entityType, id: entityId },
      apiId,
      permissionIds.map((id) => ({ id, description: "", sensitive: false })),
    );
  };

  it("gives existing admin roles what new ones hold, gives owners back their APIs' permissions, touches no other role", async () => {
    // Owners as migration 017 leaves them: it rewrote them without their apiScope.
    expect((await migrator(kysely).migrateTo("016-project-fields")).error).toBeUndefined();
    await api("team", "t-18", "billing", ["invoices.read", "invoices.write"]);
    await api("org", "o-18", "ledger", ["entries.read"]);
    await api("team", "t-18b", "search", ["query"]);
    await insert("team", "t-18", "owner", {
      ...seeded(DEFAULT_TEAM_ROLES, "owner"),
      apiScope: ["billing:invoices.read", "billing:invoices.write"],
    });
    await insert("org", "o-18", "owner", { ...seeded(DEFAULT_ORG_ROLES, "owner"), apiScope: ["ledger:entries.read"] });
    await insert("team", "t-18b", "owner", { ...seeded(DEFAULT_TEAM_ROLES, "owner"), apiScope: ["search:query"] });
    expect((await migrator(kysely).migrateTo("017-webhooks")).error).toBeUndefined();
    expect((await permissionsOf("team", "t-18", "owner")).apiScope).toBeUndefined();

    // Roles seeded before APIs, trust policies and webhooks; an edited admin; the lower built-in roles; a custom role.
    await insert("team", "t-18", "admin", older(seeded(DEFAULT_TEAM_ROLES, "admin")));
    await insert("org", "o-18", "admin", older(seeded(DEFAULT_ORG_ROLES, "admin")));
    const edited: Scopes = {
      orgScope: [],
      teamScope: ["team.read", "team.webhooks.read"],
      projectScope: [],
      apiScope: ["billing:invoices.read"],
    };
    await insert("team", "t-18b", "admin", edited);
    const lower = older(seeded(DEFAULT_TEAM_ROLES, "default"));
    await insert("team", "t-18", "default", lower);
    const member = older(seeded(DEFAULT_ORG_ROLES, "member"));
    await insert("org", "o-18", "member", member);
    const custom: Scopes = { orgScope: [], teamScope: ["team.read", "team.tokens.manage"], projectScope: ["project.read"] };
    await insert("team", "t-18", "deployer", custom);

    expect((await migrator(kysely).migrateTo("018-built-in-role-grants")).error).toBeUndefined();

    // Exactly what a new database gives its admin roles (the rate-limit permissions stay the owner's).
    expect(sorted(await permissionsOf("team", "t-18", "admin"))).toEqual(sorted(seeded(DEFAULT_TEAM_ROLES, "admin")));
    expect(sorted(await permissionsOf("org", "o-18", "admin"))).toEqual(sorted(seeded(DEFAULT_ORG_ROLES, "admin")));
    expect((await permissionsOf("team", "t-18", "admin")).teamScope).not.toContain("team.ratelimits.manage");
    // An edited admin keeps what it had (and lacked), and gains the newer team permissions once each.
    expect(await permissionsOf("team", "t-18b", "admin")).toEqual({
      ...edited,
      teamScope: [
        "team.read",
        "team.webhooks.read",
        "team.apis.read",
        "team.apis.manage",
        "team.apis.verify",
        "team.trustpolicies.read",
        "team.trustpolicies.manage",
        "team.webhooks.manage",
      ],
    });
    // Owners: everything, and the permissions of their own entity's APIs (a team's owner not its neighbour's).
    expect(sorted(await permissionsOf("team", "t-18", "owner"))).toEqual(
      sorted({ ...seeded(DEFAULT_TEAM_ROLES, "owner"), apiScope: ["billing:invoices.read", "billing:invoices.write"] }),
    );
    expect(sorted(await permissionsOf("org", "o-18", "owner"))).toEqual(
      sorted({ ...seeded(DEFAULT_ORG_ROLES, "owner"), apiScope: ["ledger:entries.read"] }),
    );
    expect((await permissionsOf("team", "t-18b", "owner")).apiScope).toEqual(["search:query"]);
    // No other role.
    expect(await permissionsOf("team", "t-18", "default")).toEqual(lower);
    expect(await permissionsOf("org", "o-18", "member")).toEqual(member);
    expect(await permissionsOf("team", "t-18", "deployer")).toEqual(custom);

    // Down leaves every role as it is; up again adds nothing twice.
    const after = await permissionsOf("team", "t-18b", "admin");
    expect((await migrator(kysely).migrateTo("017-webhooks")).error).toBeUndefined();
    expect(await permissionsOf("team", "t-18b", "admin")).toEqual(after);
    expect((await migrator(kysely).migrateTo("018-built-in-role-grants")).error).toBeUndefined();
    expect(await permissionsOf("team", "t-18b", "admin")).toEqual(after);
  });
});
