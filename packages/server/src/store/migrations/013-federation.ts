import type { Kysely } from "kysely";

// Frozen history: the ids and the shape are written out here, never imported from the live catalogue.
const TEAM_IDS = ["team.trustpolicies.read", "team.trustpolicies.manage"];
const ORG_IDS = ["org.trustpolicies.read", "org.trustpolicies.manage"];

interface Permissions {
  orgScope: string[];
  teamScope: string[];
  projectScope: string[];
}
interface RoleRows {
  roles: { entity_type: string; entity_id: string; id: string; permissions: string };
}

const withIds = (list: string[], ids: string[]): string[] => [...list, ...ids.filter((id) => !list.includes(id))];

async function rewriteRoles(db: Kysely<unknown>, which: "owner" | "all", edit: (p: Permissions, entityType: string) => Permissions) {
  const typed = db as unknown as Kysely<RoleRows>;
  let query = typed.selectFrom("roles").select(["entity_type", "entity_id", "id", "permissions"]);
  if (which === "owner") query = query.where("id", "=", "owner");
  for (const role of await query.execute()) {
    const next = edit(JSON.parse(role.permissions) as Permissions, role.entity_type);
    await typed
      .updateTable("roles")
      .set({ permissions: JSON.stringify(next) })
      .where("entity_type", "=", role.entity_type)
      .where("entity_id", "=", role.entity_id)
      .where("id", "=", role.id)
      .execute();
  }
}

/**
 * Tokens without stored secrets (issue 19): trust policies (which foreign ID tokens get a token of which role) and
 * device authorizations (RFC 8628; the device code and the user code are kept as SHA-256 only, the approved token
 * sealed under a key derived from the master key). Owner roles receive the trust-policy permissions, as new
 * owner roles do (see 010); no other role is touched.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("trust_policies")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("entity_type", "text", (c) => c.notNull())
    .addColumn("entity_id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("issuer", "text", (c) => c.notNull())
    .addColumn("audience", "text", (c) => c.notNull())
    .addColumn("conditions", "text", (c) => c.notNull())
    .addColumn("role_id", "text", (c) => c.notNull())
    .addColumn("max_lifetime_seconds", "integer", (c) => c.notNull())
    .addColumn("creator_id", "text", (c) => c.notNull())
    .addColumn("creator_email", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("trust_policies_entity").on("trust_policies").columns(["entity_type", "entity_id", "created_at"]).execute();
  await db.schema.createIndex("trust_policies_issuer").on("trust_policies").column("issuer").execute();
  await db.schema
    .createTable("device_authorizations")
    .addColumn("device_code_hash", "text", (c) => c.primaryKey())
    .addColumn("user_code_hash", "text", (c) => c.notNull().unique())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .addColumn("interval_seconds", "integer", (c) => c.notNull())
    .addColumn("last_polled_at", "text")
    .addColumn("requested_role", "text")
    .addColumn("requested_lifetime", "integer")
    .addColumn("reason", "text")
    .addColumn("ip", "text", (c) => c.notNull())
    .addColumn("user_agent", "text", (c) => c.notNull())
    .addColumn("entity_type", "text")
    .addColumn("entity_id", "text")
    .addColumn("token_id", "text")
    .addColumn("sealed_token", "text")
    .addColumn("token_expires_at", "text")
    .execute();
  await db.schema.createIndex("device_authorizations_expires").on("device_authorizations").column("expires_at").execute();
  await rewriteRoles(db, "owner", (p, entityType) => ({
    orgScope: entityType === "org" ? withIds(p.orgScope, ORG_IDS) : p.orgScope,
    teamScope: withIds(p.teamScope, TEAM_IDS),
    projectScope: p.projectScope,
  }));
}

/** Drops both tables and takes the ids out of every role: the code before this migration does not know them. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("device_authorizations").execute();
  await db.schema.dropTable("trust_policies").execute();
  const drop = (list: string[]) => list.filter((id) => !TEAM_IDS.includes(id) && !ORG_IDS.includes(id));
  await rewriteRoles(db, "all", (p) => ({ orgScope: drop(p.orgScope), teamScope: drop(p.teamScope), projectScope: drop(p.projectScope) }));
}
