import { DomainError } from "@latchkey/core";
import type { Recorder } from "../audit/service.js";
import type { Principal } from "../access/principal.js";
import { authorizeEntity } from "../access/access.js";
import type { Store } from "../store/store.js";
import type { Verifier } from "../tokens/verifier.js";
import type { TokenService } from "./tokens.js";

/**
 * RFC 7009 revocation (`POST /v1/oauth/revoke`): a token ends itself without any permission; anyone else needs the
 * token-management permission of its team or organisation (and the covering rule), as `DELETE .../tokens/{id}`.
 * The reply never says which happened: a token that is not genuine, already ended, or out of the caller's reach is
 * left alone silently.
 */
export function createTokenRevocation(deps: { store: Store; verifier: Verifier; tokens: TokenService; now: () => Date; record: Recorder }) {
  const { store, verifier, tokens, now, record } = deps;

  /** Ends the caller's own token, audited in its team's or organisation's log like any revocation. */
  const revokeSelf = async (principal: Principal, tokenId: string, entity: { type: "team" | "org"; id: string }): Promise<void> => {
    await store.transaction(async (tx) => {
      const row = await tx.tokens.byIdIn(entity.type, entity.id, tokenId);
      if (!row || row.revoked_at !== null) return;
      const at = now().toISOString();
      await tx.tokens.revoke(tokenId, at);
      await tx.publish({ t: "token", id: tokenId, entityType: entity.type, entityId: entity.id, kind: "revoked" });
      await record(tx, {
        principal,
        entity,
        event: "apiTokens.revoke",
        resource: { type: "apiTokens", id: tokenId },
        change: { after: { revokedAt: at, via: "oauth/revoke" } },
      });
    });
  };

  return {
    async revoke(caller: Principal, token: string, ip: string): Promise<void> {
      let target: Principal;
      try {
        const pending = verifier.authenticate(token, ip);
        target = pending instanceof Promise ? await pending : pending;
      } catch (error) {
        if (error instanceof DomainError && error.status === 401) return;
        throw error;
      }
      const scope = target.scope;
      if (!scope || !target.tokenId) return;
      if (caller.tokenId === target.tokenId) return revokeSelf(caller, target.tokenId, { type: scope.entityType, id: scope.entityId });
      try {
        const entity = await authorizeEntity(store, caller, scope.entityType, scope.entityId, `${scope.entityType}.tokens.manage`);
        await tokens.revoke(caller, entity, target.tokenId);
      } catch (error) {
        // Not the caller's to end (404, 403): said to nobody, as RFC 7009 answers 200 for tokens it does not act on.
        if (error instanceof DomainError && (error.status === 403 || error.status === 404)) return;
        throw error;
      }
    },
  };
}

export type TokenRevocation = ReturnType<typeof createTokenRevocation>;
