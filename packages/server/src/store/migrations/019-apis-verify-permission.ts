import type { Kysely } from "kysely";

// Frozen history: the ids and the shape are written out here, never imported from the live catalogue.
const TEAM = "team.apis.verify";
const ORG = "org.apis.verify";

interface Permissions {
  orgScope: string[];
  teamScope: string[];
  projectScope: string[];
}
interface RoleRows {
  roles: { entity_type: string; entity_id: string; id: string; permissions: string };
}

/** Appends `id` once: the catalogue lists it last in its scope, so a new owner role holds it there too. */
const withId = (list: string[], id: string): string[] => (list.includes(id) ? list : [...list, id]);

/**
 * Checking tokens for other services (issue 15) needs `team.apis.verify` / `org.apis.verify`. Owner roles hold every
 * permission and cannot be edited, so existing ones receive the new ids as new owner roles do; without them an
 * organisation owner would no longer cover a newer team's owner role. No other role is touched: an admin or custom
 * role keeps exactly what its editors gave it. Adding an id a role already holds changes nothing, so this may run
 * after another migration that granted the same ids.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const typed = db as unknown as Kysely<RoleRows>;
  const owners = await typed
    .selectFrom("roles")
    .select(["entity_type", "entity_id", "id", "permissions"])
    .where("id", "=", "owner")
    .execute();
  for (const role of owners) {
    const p = JSON.parse(role.permissions) as Permissions;
    const next: Permissions = {
      orgScope: role.entity_type === "org" ? withId(p.orgScope, ORG) : p.orgScope,
      teamScope: withId(p.teamScope, TEAM),
      projectScope: p.projectScope,
    };
    await typed
      .updateTable("roles")
      .set({ permissions: JSON.stringify(next) })
      .where("entity_type", "=", role.entity_type)
      .where("entity_id", "=", role.entity_id)
      .where("id", "=", role.id)
      .execute();
  }
}

/** Takes the two ids out of every role: the code before this migration does not know them. */
export async function down(db: Kysely<unknown>): Promise<void> {
  const typed = db as unknown as Kysely<RoleRows>;
  const roles = await typed
    .selectFrom("roles")
    .select(["entity_type", "entity_id", "id", "permissions"])
    .where("permissions", "like", "%.apis.verify%")
    .execute();
  for (const role of roles) {
    const p = JSON.parse(role.permissions) as Permissions;
    const drop = (list: string[]) => list.filter((id) => id !== TEAM && id !== ORG);
    const next: Permissions = { orgScope: drop(p.orgScope), teamScope: drop(p.teamScope), projectScope: drop(p.projectScope) };
    await typed
      .updateTable("roles")
      .set({ permissions: JSON.stringify(next) })
      .where("entity_type", "=", role.entity_type)
      .where("entity_id", "=", role.entity_id)
      .where("id", "=", role.id)
      .execute();
  }
}
