import type { TokenMetadata as TokenMetadataSchema } from "@latchkey/core";
import type { z } from "zod";
import type { TokenKeyRow, TokenRow } from "../store/repositories/tokens.js";
import type { Repositories } from "../store/store.js";
import type { LastUsed } from "../tokens/last-used.js";

/** Token metadata as the API shows it: everything but the secret, which is never stored. */
export type TokenMetadata = z.output<typeof TokenMetadataSchema>;

/**
 * Turns stored tokens into their API shape: keys, the role's current name, and the newest last use this process
 * knows of (it may not be written yet).
 */
export function createTokenMetadata(deps: { lastUsed: LastUsed; now: () => Date }) {
  const { lastUsed, now } = deps;
  const toMetadata = (row: TokenRow, keyRows: TokenKeyRow[], roleName: string | null): TokenMetadata => {
    const nowIso = now().toISOString();
    const pending = lastUsed.latest(row.id);
    const useAt = pending && (!row.last_used_at || pending.at > row.last_used_at) ? pending : null;
    const expired = row.expires_at !== null && row.expires_at <= nowIso;
    return {
      id: row.id,
      name: row.name,
      description: row.description,
      role: { roleId: row.role_id, name: roleName, roleType: row.entity_type, entityType: row.entity_type },
      entityId: row.entity_id,
      creatorEmail: row.creator_email,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      lastUsedAt: useAt?.at ?? row.last_used_at,
      lastUsedIp: useAt?.ip ?? row.last_used_ip,
      revoked: row.revoked_at !== null,
      revokedAt: row.revoked_at,
      active: row.revoked_at === null && !expired,
      keys: keyRows.filter((k) => k.revoked_at === null).map((k) => ({ id: k.id, issuedAt: k.issued_at, expiresAt: k.expires_at })),
      allowedIps: JSON.parse(row.allowed_ips) as string[],
      creatorLeft: row.creator_left_at !== null,
    };
  };

  const describe = async (tx: Repositories, rows: TokenRow[]): Promise<TokenMetadata[]> => {
    const keyRows = await tx.tokens.keysOf(rows.map((r) => r.id));
    const names = new Map<string, string>();
    for (const r of rows) {
      const k = `${r.entity_type}:${r.entity_id}:${r.role_id}`;
      if (!names.has(k)) names.set(k, (await tx.roles.byId(r.entity_type, r.entity_id, r.role_id))?.name ?? "");
    }
    return rows.map((r) =>
      toMetadata(
        r,
        keyRows.filter((k) => k.token_id === r.id),
        names.get(`${r.entity_type}:${r.entity_id}:${r.role_id}`) || null,
      ),
    );
  };

  return { toMetadata, describe };
}
