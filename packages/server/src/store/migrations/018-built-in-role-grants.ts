import type { Kysely } from "kysely";

// Frozen history: the ids, the roles and the shape are written out here, never imported from the live catalogue.
// What a new team's or organisation's admin role holds of the permissions added since the first release (APIs,
// trust policies, webhooks: migrations 011, 013, 017); the rate-limit permissions (010) are the owner's alone.
const TEAM_IDS = [
  "team.apis.read",
  "team.apis.manage",
  "team.apis.verify",
  "team.trustpolicies.read",
  "team.trustpolicies.manage",
  "team.webhooks.read",
  "team.webhooks.manage",
];
const ORG_IDS = [
  "org.apis.read",
  "org.apis.manage",
  "org.apis.verify",
  "org.trustpolicies.read",
  "org.trustpolicies.manage",
  "org.webhooks.read",
  "org.webhooks.manage",
];
const BUILT_IN = ["owner", "admin"];

interface Permissions {
  orgScope: string[];
  teamScope: string[];
  projectScope: string[];
  apiScope?: string[];
}
interface Rows {
  roles: { entity_type: string; entity_id: string; id: string; permissions: string };
  api_permissions: { entity_type: string; entity_id: string; api_id: string; id: string; position: number };
}

const withIds = (list: string[], ids: readonly string[]): string[] => [...list, ...ids.filter((id) => !list.includes(id))];

/**
 * Built-in roles of existing databases get what new ones are given (issue 18). Migrations 011, 013 and 017 gave the
 * new permissions to owner roles only, so an existing `admin` role lacked the APIs, trust-policy and webhook
 * permissions that a new admin role holds: it receives them now (an edited admin role keeps everything else it
 * was given or denied). Owner roles hold every permission: 013 and 017 rewrote them without their `apiScope`,
 * so each receives again the permissions of its own team's or organisation's APIs, as services/apis.ts gives them.
 * Roles with other ids are not touched.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const typed = db as unknown as Kysely<Rows>;
  const roles = await typed
    .selectFrom("roles")
    .select(["entity_type", "entity_id", "id", "permissions"])
    .where("id", "in", BUILT_IN)
    .execute();
  const apiNames = new Map<string, string[]>();
  const apiPermissions = await typed
    .selectFrom("api_permissions")
    .select(["entity_type", "entity_id", "api_id", "id"])
    .orderBy("entity_type")
    .orderBy("entity_id")
    .orderBy("api_id")
    .orderBy("position")
    .execute();
  for (const row of apiPermissions) {
    const key = `${row.entity_type}:${row.entity_id}`;
    apiNames.set(key, [...(apiNames.get(key) ?? []), `${row.api_id}:${row.id}`]);
  }
  for (const role of roles) {
    const p = JSON.parse(role.permissions) as Permissions;
    const next: Permissions = {
      ...p,
      orgScope: role.entity_type === "org" ? withIds(p.orgScope, ORG_IDS) : p.orgScope,
      teamScope: withIds(p.teamScope, TEAM_IDS),
    };
    if (role.id === "owner") next.apiScope = withIds(p.apiScope ?? [], apiNames.get(`${role.entity_type}:${role.entity_id}`) ?? []);
    const permissions = JSON.stringify(next);
    if (permissions === role.permissions) continue;
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
 * Leaves every role as it is: the code before this migration knows these permissions, and what this migration gave
 * cannot be told from what an editor gave since.
 */
export function down(): Promise<void> {
  return Promise.resolve();
}
