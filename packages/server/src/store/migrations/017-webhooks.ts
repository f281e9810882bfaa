import type { Kysely } from "kysely";

// Frozen history: the ids and the shape are written out here, never imported from the live catalogue.
const TEAM_IDS = ["team.webhooks.read", "team.webhooks.manage"];
const ORG_IDS = ["org.webhooks.read", "org.webhooks.manage"];

interface Permissions {
  orgScope: string[];
  teamScope: string[];
  projectScope: string[];
}
interface RoleRows {
  roles: { entity_type: string; entity_id: string; id: string; permissions: string };
}

const withIds = (list: string[], ids: string[]): string[] => [...list, ...ids.filter((id) => !list.includes(id))];

/** Rewrites the permissions of every owner role (`add`) or of every role (`drop`). */
async function rewrite(db: Kysely<unknown>, next: (role: { entity_type: string }, p: Permissions) => Permissions, ownersOnly: boolean) {
  const typed = db as unknown as Kysely<RoleRows>;
  let q = typed.selectFrom("roles").select(["entity_type", "entity_id", "id", "permissions"]);
  q = ownersOnly ? q.where("id", "=", "owner") : q.where("permissions", "like", "%.webhooks.%");
  for (const role of await q.execute()) {
    const permissions = JSON.stringify(next(role, JSON.parse(role.permissions) as Permissions));
    await typed
      .updateTable("roles")
      .set({ permissions })
      .where("entity_type", "=", role.entity_type)
      .where("entity_id", "=", role.entity_id)
      .where("id", "=", role.id)
      .execute();
  }
}

/**
 * Webhooks (issue 18): endpoints per team or organisation (`secret` sealed with the master key), a durable outbox of
 * deliveries (`dedupe_key` makes one-time events such as `token.expiring` unique across processes) and the log of
 * every attempt. Owner roles hold every permission and cannot be edited, so existing ones receive the new ids as new
 * owner roles do (as migration 010 did); other roles keep exactly what their editors gave them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("webhooks")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("entity_type", "text", (c) => c.notNull())
    .addColumn("entity_id", "text", (c) => c.notNull())
    .addColumn("url", "text", (c) => c.notNull())
    .addColumn("events", "text", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("secret", "text", (c) => c.notNull())
    .addColumn("enabled", "integer", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("webhooks_entity").on("webhooks").columns(["entity_type", "entity_id", "created_at"]).execute();
  await db.schema
    .createTable("webhook_deliveries")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("webhook_id", "text", (c) => c.notNull().references("webhooks.id").onDelete("cascade"))
    .addColumn("event_type", "text", (c) => c.notNull())
    .addColumn("payload", "text", (c) => c.notNull())
    .addColumn("dedupe_key", "text")
    .addColumn("attempt", "integer", (c) => c.notNull())
    .addColumn("next_attempt_at", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("last_status_code", "integer")
    .addColumn("last_error", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("delivered_at", "text")
    .execute();
  await db.schema.createIndex("webhook_deliveries_dedupe").unique().on("webhook_deliveries").column("dedupe_key").execute();
  await db.schema.createIndex("webhook_deliveries_due").on("webhook_deliveries").columns(["status", "next_attempt_at"]).execute();
  await db.schema.createIndex("webhook_deliveries_webhook").on("webhook_deliveries").columns(["webhook_id", "created_at"]).execute();
  await db.schema
    .createTable("webhook_attempts")
    .addColumn("delivery_id", "text", (c) => c.notNull().references("webhook_deliveries.id").onDelete("cascade"))
    .addColumn("attempt", "integer", (c) => c.notNull())
    .addColumn("at", "text", (c) => c.notNull())
    .addColumn("status_code", "integer")
    .addColumn("error", "text")
    .addColumn("duration_ms", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("webhook_attempts_pk", ["delivery_id", "attempt"])
    .execute();
  await rewrite(
    db,
    (role, p) => ({
      orgScope: role.entity_type === "org" ? withIds(p.orgScope, ORG_IDS) : p.orgScope,
      teamScope: withIds(p.teamScope, TEAM_IDS),
      projectScope: p.projectScope,
    }),
    true,
  );
}

/** Drops the tables and takes the ids out of every role: the code before this migration does not know them. */
export async function down(db: Kysely<unknown>): Promise<void> {
  const drop = (list: string[]) => list.filter((id) => !TEAM_IDS.includes(id) && !ORG_IDS.includes(id));
  await rewrite(
    db,
    (_role, p) => ({ orgScope: drop(p.orgScope), teamScope: drop(p.teamScope), projectScope: drop(p.projectScope) }),
    false,
  );
  await db.schema.dropTable("webhook_attempts").execute();
  await db.schema.dropTable("webhook_deliveries").execute();
  await db.schema.dropTable("webhooks").execute();
}
