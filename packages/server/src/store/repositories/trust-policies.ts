import type { Executor } from "../database.js";
import { keysetPage, type PageRequest } from "../pagination.js";
import type { EntityType, TrustPoliciesTable } from "../schema.js";

export type TrustPolicyRow = TrustPoliciesTable;

/** Trust policies of teams and organisations; every read by id names the owner, so ids from elsewhere find nothing. */
export function createTrustPoliciesRepository(db: Executor) {
  return {
    insert: (row: TrustPolicyRow) => db.insertInto("trust_policies").values(row).execute(),
    byIdIn: (entityType: EntityType, entityId: string, id: string) =>
      db
        .selectFrom("trust_policies")
        .selectAll()
        .where("id", "=", id)
        .where("entity_type", "=", entityType)
        .where("entity_id", "=", entityId)
        .executeTakeFirst(),
    page: (entityType: EntityType, entityId: string, page: PageRequest) =>
      keysetPage(db.selectFrom("trust_policies").selectAll().where("entity_type", "=", entityType).where("entity_id", "=", entityId), page),
    /** Every policy that trusts an issuer, across all tenants (the token exchange picks the one that matches). */
    byIssuer: (issuer: string) => db.selectFrom("trust_policies").selectAll().where("issuer", "=", issuer).limit(1000).execute(),
    update: (id: string, patch: Partial<Omit<TrustPolicyRow, "id" | "entity_type" | "entity_id" | "created_at">>) =>
      db.updateTable("trust_policies").set(patch).where("id", "=", id).execute(),
    remove: (id: string) => db.deleteFrom("trust_policies").where("id", "=", id).execute(),
    /** Deletes the policies of a role (the role is being deleted) or of an entity (likewise). */
    removeByRole: (entityType: EntityType, entityId: string, roleId: string) =>
      db
        .deleteFrom("trust_policies")
        .where("entity_type", "=", entityType)
        .where("entity_id", "=", entityId)
        .where("role_id", "=", roleId)
        .execute(),
    removeAllOf: (entityType: EntityType, entityId: string) =>
      db.deleteFrom("trust_policies").where("entity_type", "=", entityType).where("entity_id", "=", entityId).execute(),
  };
}
