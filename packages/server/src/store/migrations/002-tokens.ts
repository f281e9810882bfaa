import type { Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("signing_keys")
    .addColumn("kid", "text", (c) => c.primaryKey())
    .addColumn("public_jwk", "text", (c) => c.notNull())
    .addColumn("private_key", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("retired_at", "text")
    .execute();
  await db.schema
    .createTable("api_tokens")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("entity_type", "text", (c) => c.notNull())
    .addColumn("entity_id", "text", (c) => c.notNull())
    .addColumn("role_id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("creator_id", "text", (c) => c.notNull())
    .addColumn("creator_email", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text")
    .addColumn("revoked_at", "text")
    .addColumn("last_used_at", "text")
    .addColumn("last_used_ip", "text")
    .execute();
  await db.schema.createIndex("api_tokens_entity").on("api_tokens").columns(["entity_type", "entity_id", "created_at"]).execute();
  await db.schema.createIndex("api_tokens_role").on("api_tokens").columns(["entity_type", "entity_id", "role_id"]).execute();
  await db.schema
    .createTable("api_token_keys")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("token_id", "text", (c) => c.notNull().references("api_tokens.id").onDelete("cascade"))
    .addColumn("secret_hash", "text", (c) => c.notNull())
    .addColumn("issued_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text")
    .addColumn("revoked_at", "text")
    .execute();
  await db.schema.createIndex("api_token_keys_token").on("api_token_keys").column("token_id").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ["api_token_keys", "api_tokens", "signing_keys"]) await db.schema.dropTable(t).execute();
}
