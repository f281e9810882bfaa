import type { Kysely } from "kysely";

/** Lists are read newest first: an index in that order spares a sort per page. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex("projects_team_created").on("projects").columns(["team_id", "created_at desc", "id desc"]).execute();
  await db.schema
    .createIndex("roles_entity_created")
    .on("roles")
    .columns(["entity_type", "entity_id", "created_at desc", "id desc"])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const name of ["projects_team_created", "roles_entity_created"]) await db.schema.dropIndex(name).execute();
}
