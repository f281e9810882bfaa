import type { Resource } from "@latchkey/core";
import type { Repositories } from "../store/store.js";
import type { EntityType } from "../store/schema.js";
import { orgFor, teamFor } from "./access.js";
import type { Principal } from "./principal.js";

/** A team or organisation that holds roles, members and tokens, already checked as reachable. */
export interface Entity {
  type: EntityType;
  id: string;
  /** The organisation: the team's, or the organisation itself. */
  orgId: string | null;
  resource: Resource;
}

/** Loads the team or organisation named by a path, 404 unless the principal reaches it. */
export async function entityFor(tx: Repositories, principal: Principal, type: EntityType, id: string): Promise<Entity> {
  if (type === "team") {
    const team = await teamFor(tx, principal, id);
    return { type, id, orgId: team.org_id, resource: { teamId: id, orgId: team.org_id } };
  }
  await orgFor(tx, principal, id);
  return { type, id, orgId: id, resource: { orgId: id } };
}

/** The permission id of an action on an entity's roles, members or tokens ("team.roles.manage"). */
export function entityPermission(entity: Entity, what: "roles" | "members" | "tokens" | "audit", action: "read" | "manage"): string {
  return `${entity.type}.${what}.${action}`;
}
