import { DomainError } from "@latchkey/core";
import type { Config } from "../config.js";
import type { PageRequest } from "../store/pagination.js";
import type { RoleRow } from "../store/repositories/roles.js";
import type { TokenKeyRow, TokenRow } from "../store/repositories/tokens.js";
import type { Repositories, Store } from "../store/store.js";
import type { LastUsed } from "../tokens/last-used.js";
import type { SigningKeys } from "../tokens/signing-keys.js";
import type { Issuer } from "../tokens/issuer.js";
import type { Recorder } from "../audit/service.js";
import { grantOf, type Principal } from "../access/principal.js";
import { roleOf } from "./roles.js";
import { newId, sha256 } from "../lib/secrets.js";
import { createTokenMetadata, type TokenMetadata } from "./token-metadata.js";
import { assertCovers, type Entity } from "../access/access.js";

const earliest = (...times: (string | null)[]): string | null => times.filter((t): t is string => t !== null).sort()[0] ?? null;

/** API tokens generated from roles: issue (secret shown once), list, rotate keys, revoke. */
export function createTokenService(deps: {
  store: Store;
  config: Config;
  keys: SigningKeys;
  issuer: Issuer;
  lastUsed: LastUsed;
  now: () => Date;
  record: Recorder;
}) {
  const { store, config, keys, issuer, lastUsed, now, record } = deps;

  const { toMetadata, describe } = createTokenMetadata({ lastUsed, now });

  /** Signs a new key for a token; the JWT exists only in the reply, the store keeps its SHA-256. */
  const issueKey = async (tx: Repositories, token: TokenRow, at: Date): Promise<{ key: TokenKeyRow; jwt: string }> => {
    const keyId = newId("key");
    const jwt = await keys.sign({
      ...issuer.claims(),
      sub: token.id,
      jti: keyId,
      client_id: token.id,
      iat: Math.floor(at.getTime() / 1000),
      ...(token.expires_at ? { exp: Math.floor(Date.parse(token.expires_at) / 1000) } : {}),
      entityType: token.entity_type,
      entityId: token.entity_id,
    });
    const key: TokenKeyRow = {
      id: keyId,
      token_id: token.id,
      secret_hash: sha256(jwt),
      issued_at: at.toISOString(),
      expires_at: token.expires_at,
      revoked_at: null,
    };
    await tx.tokens.insertKey(key);
    return { key, jwt };
  };

  const tokenIn = async (tx: Repositories, entity: Entity, tokenId: string): Promise<TokenRow> => {
    const row = await tx.tokens.byIdIn(entity.type, entity.id, tokenId);
    if (!row) throw new DomainError("NOT_FOUND", `token ${tokenId} not found`);
    return row;
  };

  const assertMintable = (principal: Principal, entity: Entity, role: RoleRow) => {
    // No escalation: nobody mints a token that can do more than they can.
    assertCovers(principal, grantOf(role, entity.orgId), `a token of role ${role.id}`);
  };

  /**
   * The covering rule for acting on an existing token (rename, key deletion, revocation), as for rotation and for
   * removing a member: a narrow token manager must not rewrite, cut off or end the tokens of roles it could not have
   * created (issue 20). Organisation owners cover every role of their organisation and its teams, so they keep the
   * power to revoke anything there. A token whose role was deleted was revoked with it and grants nothing: any
   * manager may still tidy it.
   */
  const assertManageable = async (tx: Repositories, principal: Principal, entity: Entity, row: TokenRow) => {
    const role = await tx.roles.byId(entity.type, entity.id, row.role_id);
    if (role) assertMintable(principal, entity, role);
  };

  return {
    /**
     * Mints a token of a role in a transaction the caller runs and audits, with no person's coverage check: for the
     * token exchange and device approvals, whose callers have checked who may have it (services/federation/).
     */
    async mint(
      tx: Repositories,
      entity: Entity,
      role: RoleRow,
      fields: { name: string; description: string; creatorId: string; creatorEmail: string; expiresAt: Date | null; at: Date },
    ): Promise<{ apiToken: TokenMetadata; token: string }> {
      const row: TokenRow = {
        id: newId("tok"),
        entity_type: entity.type,
        entity_id: entity.id,
        role_id: role.id,
        name: fields.name,
        description: fields.description,
        creator_id: fields.creatorId,
        creator_email: fields.creatorEmail,
        created_at: fields.at.toISOString(),
        updated_at: fields.at.toISOString(),
        expires_at: fields.expiresAt ? fields.expiresAt.toISOString() : null,
        revoked_at: null,
        last_used_at: null,
        last_used_ip: null,
        allowed_ips: "[]",
        creator_left_at: null,
      };
      await tx.tokens.insert(row);
      const { key, jwt } = await issueKey(tx, row, fields.at);
      return { apiToken: toMetadata(row, [key], role.name), token: jwt };
    },

    /** Creates a token from a role of the same team or organisation; the reply is the only place its secret appears. */
    async create(
      principal: Principal,
      entity: Entity,
      input: {
        name: string;
        description: string;
        roleId: string;
        expiresAt?: string | null | undefined;
        allowedIps?: string[] | undefined;
      },
    ): Promise<{ apiToken: TokenMetadata; token: string }> {
      const at = now();
      const expiresAt = input.expiresAt ? new Date(input.expiresAt) : null;
      if (expiresAt && expiresAt.getTime() <= at.getTime()) {
        throw new DomainError("VALIDATION_FAILED", "expiresAt must be in the future", { fields: { expiresAt: "must be in the future" } });
      }
      const max = config.tokenMaxLifetimeMs;
      if (max !== null && (!expiresAt || expiresAt.getTime() - at.getTime() > max)) {
        throw new DomainError("VALIDATION_FAILED", `tokens may live at most ${Math.round(max / 86_400_000)} days here`, {
          fields: { expiresAt: "beyond the maximum lifetime (LATCHKEY_TOKEN_MAX_LIFETIME_DAYS)" },
        });
      }
      return store.transaction(async (tx) => {
        const role = await roleOf(tx, entity, input.roleId);
        assertMintable(principal, entity, role);
        const row: TokenRow = {
          id: newId("tok"),
          entity_type: entity.type,
          entity_id: entity.id,
          role_id: role.id,
          name: input.name,
          description: input.description,
          creator_id: principal.userId,
          creator_email: principal.email,
          created_at: at.toISOString(),
          updated_at: at.toISOString(),
          expires_at: expiresAt ? expiresAt.toISOString() : null,
          revoked_at: null,
          last_used_at: null,
          last_used_ip: null,
          allowed_ips: JSON.stringify(input.allowedIps ?? []),
          creator_left_at: null,
        };
        await tx.tokens.insert(row);
        const { key, jwt } = await issueKey(tx, row, at);
        const apiToken = toMetadata(row, [key], role.name);
        await record(tx, {
          principal,
          entity,
          event: "apiTokens.create",
          resource: { type: "apiTokens", id: row.id },
          change: { after: apiToken },
        });
        return { apiToken, token: jwt };
      });
    },

    async list(principal: Principal, entity: Entity, page: PageRequest, all: boolean) {
      const result = await store.tokens.page(entity.type, entity.id, page, { all, now: now().toISOString() });
      return { ...result, items: await describe(store, result.items) };
    },

    async get(principal: Principal, entity: Entity, tokenId: string): Promise<TokenMetadata> {
      const [meta] = await describe(store, [await tokenIn(store, entity, tokenId)]);
      return meta as TokenMetadata;
    },

    /** Renames or re-describes a token; its role never changes. */
    async update(
      principal: Principal,
      entity: Entity,
      tokenId: string,
      patch: { name?: string | undefined; description?: string | undefined; allowedIps?: string[] | undefined },
    ) {
      return store.transaction(async (tx) => {
        const row = await tokenIn(tx, entity, tokenId);
        await assertManageable(tx, principal, entity, row);
        const changes = {
          ...(patch.name === undefined ? {} : { name: patch.name }),
          ...(patch.description === undefined ? {} : { description: patch.description }),
          ...(patch.allowedIps === undefined ? {} : { allowed_ips: JSON.stringify(patch.allowedIps) }),
          updated_at: now().toISOString(),
        };
        await tx.tokens.update(tokenId, changes);
        // Verifiers keep the name (forward auth's x-latchkey-token-name): they drop it and read it again.
        await tx.publish({ t: "token", id: tokenId });
        const [meta] = await describe(tx, [{ ...row, ...changes }]);
        await record(tx, {
          principal,
          entity,
          event: "apiTokens.update",
          resource: { type: "apiTokens", id: tokenId },
          change: {
            before: { name: row.name, description: row.description, allowedIps: JSON.parse(row.allowed_ips) as string[] },
            after: {
              ...(patch.name === undefined ? {} : { name: patch.name }),
              ...(patch.description === undefined ? {} : { description: patch.description }),
              ...(patch.allowedIps === undefined ? {} : { allowedIps: patch.allowedIps }),
              updated_at: changes.updated_at,
            },
          },
        });
        return meta as TokenMetadata;
      });
    },

    /** A new key (and JWT) for a token; the other keys stop at `otherKeysExpiresAt`, by default now. */
    async rotate(principal: Principal, entity: Entity, tokenId: string, otherKeysExpiresAt?: string) {
      const at = now();
      const othersEnd = otherKeysExpiresAt ? new Date(otherKeysExpiresAt) : at;
      if (othersEnd.getTime() < at.getTime()) {
        throw new DomainError("VALIDATION_FAILED", "otherKeysExpiresAt must not be in the past", {
          fields: { otherKeysExpiresAt: "in the past" },
        });
      }
      return store.transaction(async (tx) => {
        const row = await tokenIn(tx, entity, tokenId);
        if (row.revoked_at !== null) throw new DomainError("CONFLICT", "a revoked token cannot be regenerated");
        if (row.expires_at !== null && row.expires_at <= at.toISOString()) {
          throw new DomainError("CONFLICT", "an expired token cannot be regenerated; create a new one");
        }
        assertMintable(principal, entity, await roleOf(tx, entity, row.role_id));
        const { key, jwt } = await issueKey(tx, row, at);
        await tx.tokens.expireKeysBut(tokenId, key.id, earliest(othersEnd.toISOString(), row.expires_at) ?? othersEnd.toISOString());
        await tx.publish({ t: "token", id: tokenId, entityType: entity.type, entityId: entity.id, kind: "keys" });
        await record(tx, {
          principal,
          entity,
          event: "apiTokens.rotate",
          resource: { type: "apiTokens", id: tokenId },
          change: { after: { keyId: key.id, otherKeysExpireAt: othersEnd.toISOString() } },
        });
        return { key: { id: key.id, issuedAt: key.issued_at }, token: jwt };
      });
    },

    /** Deletes one key of a token: that JWT stops at once. */
    async deleteKey(principal: Principal, entity: Entity, tokenId: string, keyId: string) {
      return store.transaction(async (tx) => {
        await assertManageable(tx, principal, entity, await tokenIn(tx, entity, tokenId));
        const key = await tx.tokens.keyById(keyId);
        if (!key || key.token_id !== tokenId || key.revoked_at !== null) throw new DomainError("NOT_FOUND", `key ${keyId} not found`);
        await tx.tokens.revokeKey(keyId, now().toISOString());
        await tx.publish({ t: "token", id: tokenId, entityType: entity.type, entityId: entity.id, kind: "keys" });
        await record(tx, {
          principal,
          entity,
          event: "apiTokens.deleteKey",
          resource: { type: "apiTokens", id: tokenId },
          change: { before: { keyId } },
        });
        return { id: keyId, deleted: true as const };
      });
    },

    /** Revokes a token for good, on every process; the record stays (listed with `all=true`). */
    async revoke(principal: Principal, entity: Entity, tokenId: string) {
      return store.transaction(async (tx) => {
        const row = await tokenIn(tx, entity, tokenId);
        // A token revoking itself (with token management, as before) gives up only its own power. Its grant is its
        // role's, so coverage would hold anyway; said outright so that a leaked token can always end itself, even
        // while its role's cached snapshot lags an edit.
        if (principal.tokenId !== tokenId) await assertManageable(tx, principal, entity, row);
        const at = now().toISOString();
        await tx.tokens.revoke(tokenId, at);
        await tx.publish({ t: "token", id: tokenId, entityType: entity.type, entityId: entity.id, kind: "revoked" });
        const [meta] = await describe(tx, [{ ...row, revoked_at: row.revoked_at ?? at, updated_at: at }]);
        await record(tx, {
          principal,
          entity,
          event: "apiTokens.revoke",
          resource: { type: "apiTokens", id: tokenId },
          change: { after: { revokedAt: meta?.revokedAt } },
        });
        return meta as TokenMetadata;
      });
    },

    /** What a token credential is, for `GET /v1/auth`: its record and its role as they are now. */
    async self(principal: Principal) {
      if (!principal.tokenId) throw new DomainError("VALIDATION_FAILED", "not an API token");
      const row = await store.tokens.byId(principal.tokenId);
      if (!row) throw new DomainError("TOKEN_INVALID", "token is not valid");
      const role = await store.roles.byId(row.entity_type, row.entity_id, row.role_id);
      return { token: row, role };
    },

    /** Run in the transaction that deletes a role: its tokens are revoked with it. */
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
