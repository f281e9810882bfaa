import { can, covers, PERMISSIONS, type PermissionScope } from "@latchkey/core";
import type { Store } from "../store/store.js";
import type { RoleRow } from "../store/repositories/roles.js";
import { grantOf, type Principal } from "../access/principal.js";
import { authorizeTeamDeletion, entityFor, type Entity } from "../access/access.js";

const PAGE = 100;
/** The most roles read for the role pickers: more than any team or organisation has. */
const MAX_ROLES = 10_000;

/** Which permissions are asked about on each kind of entity: its own, and on a team its projects'. */
const SCOPES: Record<Entity["type"], readonly PermissionScope[]> = { team: ["team", "project"], org: ["org"] };

/**
 * What the caller may do on one team or organisation, for the console to show only what the server would allow: the
 * permissions held there (decided by the same `can` the services call, so the two cannot disagree) and the roles the
 * caller covers, that is may give a member, mint a token from or hand to a CLI login (no escalation).
 */
export function createMyAccess(deps: { store: Store }) {
  const { store } = deps;

  const rolesOf = async (entity: Entity): Promise<RoleRow[]> => {
    const rows: RoleRow[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.roles.page(entity.type, entity.id, { perPage: PAGE, ...(cursor ? { cursor } : {}) });
      rows.push(...page.items);
      cursor = page.hasNextPage ? page.cursor : undefined;
    } while (cursor && rows.length < MAX_ROLES);
    return rows;
  };

  return {
    async of(principal: Principal, type: Entity["type"], id: string) {
      // 404 for what the caller cannot reach, as every other route of the entity.
      const entity = await entityFor(store, principal, type, id);
      const scopes = SCOPES[type];
      const permissions: string[] = PERMISSIONS.filter((p) => scopes.includes(p.scope) && can(principal.grants, p.id, entity.resource)).map(
        (p) => p.id,
      );
      if (type === "team" && !permissions.includes("team.delete")) {
        // An organisation role may delete the team through org.teams.delete: the same rule the deletion applies.
        try {
          authorizeTeamDeletion(principal, { id, org_id: entity.orgId });
          permissions.push("team.delete");
        } catch {
          // Not allowed either way.
        }
      }
      const grantableRoles = (await rolesOf(entity)).filter((r) => covers(principal.grants, grantOf(r, entity.orgId))).map((r) => r.id);
      return { entityType: type, entityId: id, permissions, grantableRoles };
    },
  };
}

export type MyAccess = ReturnType<typeof createMyAccess>;
