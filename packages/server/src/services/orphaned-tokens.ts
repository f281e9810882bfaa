import type { Principal } from "../access/principal.js";
import type { Entity } from "../access/access.js";
import type { Recorder } from "../audit/service.js";
import type { EntityType } from "../store/schema.js";
import type { Repositories } from "../store/store.js";

/**
 * Tokens whose creator left: they keep working (a departure must not break production at once), but are flagged in
 * lists and the console, audited (`apiTokens.orphaned`) and announced to webhooks (`token.orphaned`, by the
 * announcing recorder), so that an admin decides to keep or revoke them.
 */
export function createOrphanedTokens(deps: { record: Recorder; now: () => Date }) {
  const { record, now } = deps;
  return {
    /**
     * In the transaction that removes `userId` from a team or organisation: flags the live tokens they made there.
     * Leaving an organisation also flags their tokens of its teams where they are not a member in their own right.
     */
    creatorLeft: async (tx: Repositories, principal: Principal, entity: Entity, userId: string): Promise<number> => {
      const scopes: { entityType: EntityType; entityId: string }[] = [{ entityType: entity.type, entityId: entity.id }];
      if (entity.type === "org") {
        const stays = new Set((await tx.members.entitiesOf(userId)).filter((m) => m.entity_type === "team").map((m) => m.entity_id));
        for (const teamId of await tx.teams.idsOfOrg(entity.id))
          if (!stays.has(teamId)) scopes.push({ entityType: "team", entityId: teamId });
      }
      const at = now().toISOString();
      const flagged = await tx.tokens.flagCreatorLeft(userId, scopes, at);
      for (const row of flagged) {
        await record(tx, {
          principal,
          entity: { type: row.entity_type, id: row.entity_id },
          event: "apiTokens.orphaned",
          resource: { type: "apiTokens", id: row.id },
          change: {
            after: {
              name: row.name,
              creatorLeft: true,
              creatorId: userId,
              creatorEmail: row.creator_email,
              leftFrom: `${entity.type}:${entity.id}`,
            },
          },
        });
      }
      return flagged.length;
    },
  };
}

export type OrphanedTokens = ReturnType<typeof createOrphanedTokens>;
