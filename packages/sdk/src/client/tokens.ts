import type { Entity, KeyRotated, TokenCreate, TokenCreated, TokenMetadata, TokenUpdate } from "../types.js";
import { enc, entityPath } from "./entity-path.js";
import type { Deleted, PageOptions, Transport } from "./transport.js";

/** `LatchkeyClient.tokens`: API tokens of a team or organisation, and their keys. */
export function createTokensApi(t: Transport, entity: Entity) {
  const base = `${entityPath(entity)}/tokens`;
  const one = (tokenId: string) => `${base}/${enc(tokenId)}`;
  return {
    /** `all: true` includes revoked and expired tokens. */
    list: (options: PageOptions & { all?: boolean } = {}) => t.page<TokenMetadata>(base, "apiTokens", options),
    /** Every token (`limit`: 10,000 unless told, `Infinity` for every one). */
    all: (includeInactive = false, limit?: number) => t.all<TokenMetadata>(base, "apiTokens", { all: includeInactive }, limit),
    get: (tokenId: string) => t.request<TokenMetadata>("GET", one(tokenId)),
    create: (body: TokenCreate) => t.request<TokenCreated>("POST", base, { body }),
    update: (tokenId: string, body: TokenUpdate) => t.request<TokenMetadata>("PATCH", one(tokenId), { body }),
    revoke: (tokenId: string) => t.request<TokenMetadata>("DELETE", one(tokenId)),
    /** Regenerate: a new secret; the other keys stop at `otherKeysExpiresAt` (default now). */
    rotate: (tokenId: string, otherKeysExpiresAt?: string) =>
      t.request<KeyRotated>("POST", `${one(tokenId)}/keys`, { body: otherKeysExpiresAt ? { otherKeysExpiresAt } : {} }),
    deleteKey: (tokenId: string, keyId: string) => t.request<Deleted>("DELETE", `${one(tokenId)}/keys/${enc(keyId)}`),
  };
}

/** What `LatchkeyClient.tokens()` returns. */
export type TokensApi = ReturnType<typeof createTokensApi>;
