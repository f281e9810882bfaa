import type { Executor } from "../database.js";
import { keysetPage, type PageRequest } from "../pagination.js";
import type { ApiTokenKeysTable, ApiTokensTable, EntityType } from "../schema.js";

export type TokenRow = ApiTokensTable;
export type TokenKeyRow = ApiTokenKeysTable;

/** API tokens and their keys (each key is one issued JWT, stored only as a hash). */
export function createTokensRepository(db: Executor) {
  return {
    insert: (row: TokenRow) => db.insertInto("api_tokens").values(row).execute(),
    insertKey: (row: TokenKeyRow) => db.insertInto("api_token_keys").values(row).execute(),
    byId: (id: string) => db.selectFrom("api_tokens").selectAll().where("id", "=", id).executeTakeFirst(),
    /** The token of an entity, or undefined: every access names the owner, so ids from elsewhere find nothing. */
    byIdIn: (entityType: EntityType, entityId: string, id: string) =>
      db
        .selectFrom("api_tokens")
        .selectAll()
        .where("id", "=", id)
        .where("entity_type", "=", entityType)
        .where("entity_id", "=", entityId)
        .executeTakeFirst(),
    keyById: (id: string) => db.selectFrom("api_token_keys").selectAll().where("id", "=", id).executeTakeFirst(),
    keysOf: async (tokenIds: string[]) =>
      tokenIds.length === 0
        ? []
        : db
            .selectFrom("api_token_keys")
            .selectAll()
            .where("token_id", "in", tokenIds)
            .orderBy("issued_at", "desc")
            .orderBy("id", "desc")
            .execute(),
    update: (id: string, patch: Partial<Pick<TokenRow, "name" | "description" | "updated_at" | "allowed_ips">>) =>
      db.updateTable("api_tokens").set(patch).where("id", "=", id).execute(),
    revoke: (id: string, at: string) =>
      db.updateTable("api_tokens").set({ revoked_at: at, updated_at: at }).where("id", "=", id).where("revoked_at", "is", null).execute(),
    /** Revokes every live token of a role; returns their ids so that caches can drop them. */
    async revokeByRole(entityType: EntityType, entityId: string, roleId: string, at: string): Promise<string[]> {
      const ids = (
        await db
          .selectFrom("api_tokens")
          .select("id")
          .where("entity_type", "=", entityType)
          .where("entity_id", "=", entityId)
          .where("role_id", "=", roleId)
          .where("revoked_at", "is", null)
          // Only live tokens: an expired one has ended already, and stays listed as expired (what the console counted).
          .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", at)]))
          .execute()
      ).map((r) => r.id);
      if (ids.length > 0) await db.updateTable("api_tokens").set({ revoked_at: at, updated_at: at }).where("id", "in", ids).execute();
      return ids;
    },
    /** Revokes every live token of a team or organisation (it is being deleted). */
    revokeAllOf: (entityType: EntityType, entityId: string, at: string) =>
      db
        .updateTable("api_tokens")
        .set({ revoked_at: at, updated_at: at })
        .where("entity_type", "=", entityType)
        .where("entity_id", "=", entityId)
        .where("revoked_at", "is", null)
        .execute(),
    /** Ends other keys of a token at `at` (or sooner if they already end sooner). */
    expireKeysBut: (tokenId: string, keyId: string, at: string) =>
      db
        .updateTable("api_token_keys")
        .set({ expires_at: at })
        .where("token_id", "=", tokenId)
        .where("id", "!=", keyId)
        .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", at)]))
        .execute(),
    revokeKey: (keyId: string, at: string) =>
      db.updateTable("api_token_keys").set({ revoked_at: at }).where("id", "=", keyId).where("revoked_at", "is", null).execute(),
    /** A page of an entity's tokens, newest first; without `all`, only tokens neither revoked nor expired at `now`. */
    page(entityType: EntityType, entityId: string, page: PageRequest, options: { all: boolean; now: string }) {
      let q = db.selectFrom("api_tokens").selectAll().where("entity_type", "=", entityType).where("entity_id", "=", entityId);
      if (!options.all) {
        q = q.where("revoked_at", "is", null).where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", options.now)]));
      }
      return keysetPage(q, page);
    },
    /**
     * Marks the live tokens `creatorId` made in these teams or organisations as orphaned (their creator left) and
     * returns them; tokens already marked, revoked or of other creators are left alone.
     */
    async flagCreatorLeft(creatorId: string, scopes: { entityType: EntityType; entityId: string }[], at: string): Promise<TokenRow[]> {
      if (scopes.length === 0) return [];
      const rows = await db
        .selectFrom("api_tokens")
        .selectAll()
        .where("creator_id", "=", creatorId)
        .where("creator_left_at", "is", null)
        .where("revoked_at", "is", null)
        .where((eb) => eb.or(scopes.map((s) => eb.and([eb("entity_type", "=", s.entityType), eb("entity_id", "=", s.entityId)]))))
        .execute();
      if (rows.length > 0) {
        await db
          .updateTable("api_tokens")
          .set({ creator_left_at: at })
          .where(
            "id",
            "in",
            rows.map((r) => r.id),
          )
          .execute();
      }
      return rows;
    },
    /** Writes a batch of last-used times; an older time never overwrites a newer one. */
    async recordLastUsed(entries: { id: string; at: string; ip: string }[]): Promise<void> {
      for (const e of entries) {
        await db
          .updateTable("api_tokens")
          .set({ last_used_at: e.at, last_used_ip: e.ip })
          .where("id", "=", e.id)
          .where((eb) => eb.or([eb("last_used_at", "is", null), eb("last_used_at", "<", e.at)]))
          .execute();
      }
    },
  };
}
