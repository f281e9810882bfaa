import type { Kysely } from "kysely";

// Frozen history: the ids and the shape are written out here, never imported from the live catalogue.
const TEAM_IDS = ["team.apis.read", "team.apis.manage", "team.apis.verify"];
const ORG_IDS = ["org.apis.read", "org.apis.manage", "org.apis.verify"];

interface Permissions {
  orgScope: string[];
  teamScope: string[];
  projectScope: string[];
  apiScope?: string[];
}
interface RoleRows {
  roles: { entity_type: string; entity_id: string; id: string; permissions: string };
}

const withIds = (list: string[], ids: string[]): string[] => [...list, ...ids.filter((id) => !list.includes(id))];

async function rewriteRoles(db: Kysely<unknown>, pick: "owners" | "all", next: (role: RoleRows["roles"], p: Permissions) => Permissions) {
  const typed = db as unknown as Kysely<RoleRows>;
  let q = typed.selectFrom("roles").select(["entity_type", "entity_id", "id", "permissions"]);
  if (pick === "owners") q = q.where("id", "=", "owner");
  for (const role of await q.execute()) {
    await typed
      .updateTable("roles")
      .set({ permissions: JSON.stringify(next(role, JSON.parse(role.permissions) as Permissions)) })
      .where("entity_type", "=", role.entity_type)
      .where("entity_id", "=", role.entity_id)
      .where("id", "=", role.id)
      .execute();
  }
}

/**
 * APIs of your own (issue 15): a team's or organisation's services and the permissions they check. Roles grant
 * those in `apiScope` inside their permissions JSON, as they hold the catalogue scopes; a role stored without it
 * grants none. Owner roles hold every catalogue permission and cannot be edited, so existing ones receive the new
 * `apis.*` ids as new owner roles do (as migration 010 did); no other role is touched.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("apis")
    .addColumn("entity_type", "text", (c) => c.notNull())
    .addColumn("entity_id", "text", (c) => c.notNull())
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("apis_pk", ["entity_type", "entity_id", "id"])
    .execute();
  // API ids are looked up across a team and its organisation (resolving `<apiId>:<permissionId>`).
  await db.schema.createIndex("apis_id").on("apis").column("id").execute();
  await db.schema
    .createTable("api_permissions")
    .addColumn("entity_type", "text", (c) => c.notNull())
    .addColumn("entity_id", "text", (c) => c.notNull())
    .addColumn("api_id", "text", (c) => c.notNull())
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull())
    // 0 or 1 in both dialects.
    .addColumn("sensitive", "integer", (c) => c.notNull())
    .addColumn("position", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("api_permissions_pk", ["entity_type", "entity_id", "api_id", "id"])
    .addForeignKeyConstraint(
      "api_permissions_api",
      ["entity_type", "entity_id", "api_id"],
      "apis",
      ["entity_type", "entity_id", "id"],
      (c) => c.onDelete("cascade"),
    )
    .execute();
  await rewriteRoles(db, "owners", (role, p) => ({
    ...p,
    orgScope: role.entity_type === "org" ? withIds(p.orgScope, ORG_IDS) : p.orgScope,
    teamScope: withIds(p.teamScope, TEAM_IDS),
  }));
}

/** Drops the tables and takes the new ids and every `apiScope` out of every role: older code knows neither. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("api_permissions").execute();
  await db.schema.dropTable("apis").execute();
  const drop = (list: string[]) => list.filter((id) => !TEAM_IDS.includes(id) && !ORG_IDS.includes(id));
  await rewriteRoles(db, "all", (_, p) => ({
    orgScope: drop(p.orgScope),
    teamScope: drop(p.teamScope),
    projectScope: drop(p.projectScope),
  }));
}
