import { enqueueEvent } from "./webhook-events.js";
import { DEFAULT_ORG_ROLES, DEFAULT_TEAM_ROLES, DomainError, OWNER_ROLE, slugify, UNRESTRICTED } from "@latchkey/core";
import type { Repositories } from "../store/store.js";
import type { EntityType } from "../store/schema.js";

/** Refuses the id of a deleted team or organisation: its tokens and history must not pass to a newcomer. */
export async function assertUnused(tx: Repositories, entityType: EntityType, id: string): Promise<void> {
  if (await tx.isBuried(entityType, id)) {
    throw new DomainError(
      "CONFLICT",
      `the id ${id} belonged to a deleted ${entityType === "team" ? "team" : "organisation"} and is not reused; choose another`,
    );
  }
}

/** The id a new object gets: the one asked for, or a slug of its name. */
export function idFrom(requested: string | undefined, name: string): string {
  const id = requested ?? slugify(name);
  if (!id) {
    throw new DomainError("VALIDATION_FAILED", "name gives no usable id; pass an id", {
      fields: { id: "required when the name has no letters or digits" },
    });
  }
  return id;
}

/** Creates the default roles of a new team or organisation and makes `ownerId` its owner. */
export async function seedEntity(tx: Repositories, entityType: EntityType, entityId: string, ownerId: string, at: string): Promise<void> {
  const defaults = entityType === "team" ? DEFAULT_TEAM_ROLES : DEFAULT_ORG_ROLES;
  const restrictions = entityType === "team" ? UNRESTRICTED : { enabled: false, teams: [] };
  for (const role of defaults) {
    await tx.roles.insert({
      entity_type: entityType,
      entity_id: entityId,
      id: role.id,
      name: role.name,
      description: role.description,
      permissions: JSON.stringify(role.permissions),
      restrictions: JSON.stringify(restrictions),
      created_at: at,
      updated_at: at,
    });
  }
  await tx.members.add(entityType, entityId, ownerId, at);
  await tx.members.setRoles(entityType, entityId, ownerId, [OWNER_ROLE]);
  // The owner's console sessions see the new team or organisation on their next request, on every process.
  await tx.publish({ t: "user", id: ownerId });
}

/** Removes everything a team or organisation holds besides its own row; its tokens are revoked on every process. */
export async function clearEntity(tx: Repositories, entityType: EntityType, entityId: string, at: string): Promise<void> {
  await tx.bury(entityType, entityId, at);
  await tx.tokens.revokeAllOf(entityType, entityId, at);
  await tx.publish({ t: "resync" });
  await tx.members.removeAllOf(entityType, entityId);
  await tx.roles.removeAllOf(entityType, entityId);
  await tx.invitations.removeAllOf(entityType, entityId);
  await tx.apis.removeAllOf({ type: entityType, id: entityId });
  // A trust policy would mint tokens for the deleted entity; a webhook would be told of nothing more.
  await tx.trustPolicies.removeAllOf(entityType, entityId);
  await tx.webhooks.removeAllOf(entityType, entityId);
}

/**
 * Everything a deleted role leaves behind, in the deletion's transaction as for a whole entity above: its tokens are
 * revoked, and every process drops them at once.
 */
export async function clearRole(tx: Repositories, entity: { type: EntityType; id: string }, roleId: string, at: string): Promise<void> {
  for (const tokenId of await tx.tokens.revokeByRole(entity.type, entity.id, roleId, at)) {
    await tx.publish({ t: "token", id: tokenId, entityType: entity.type, entityId: entity.id, kind: "revoked" });
    // Webhooks hear of it as of any revocation, in the same transaction.
    await enqueueEvent(tx, entity, "token.revoked", { token: { id: tokenId, revokedAt: at }, reason: "role deleted" }, new Date(at));
  }
  // A trust policy mints tokens of its role: it goes with the role.
  await tx.trustPolicies.removeByRole(entity.type, entity.id, roleId);
}
