import type { Repositories } from "../store/store.js";
import type { EntityType } from "../store/schema.js";

/** Something that happened to a token, for whoever listens (webhooks subscribe here). */
export type DomainEvent =
  | {
      type: "token.leaked";
      tokenId: string;
      entityType: EntityType;
      entityId: string;
      /** Who reported it: anyone through the public endpoint, or GitHub's secret scanning (with where it was found). */
      source: "public" | "github";
      url?: string;
    }
  | {
      type: "token.orphaned";
      tokenId: string;
      entityType: EntityType;
      entityId: string;
      /** The person who created the token and has left the team or organisation. */
      creatorId: string;
      creatorEmail: string;
    };

/** A listener runs inside the change's transaction (so a durable outbox row commits with the change, or not at all). */
export type DomainEventListener = (tx: Repositories, event: DomainEvent) => Promise<void>;

/**
 * The hook point for token events. Services emit in the transaction that makes the change; listeners (webhooks,
 * later) subscribe once at start-up.
 */
export function createDomainEvents() {
  const listeners: DomainEventListener[] = [];
  return {
    subscribe(listener: DomainEventListener): () => void {
      listeners.push(listener);
      return () => {
        const i = listeners.indexOf(listener);
        if (i !== -1) listeners.splice(i, 1);
      };
    },
    async emit(tx: Repositories, event: DomainEvent): Promise<void> {
      for (const listener of listeners) await listener(tx, event);
    },
  };
}

export type DomainEvents = ReturnType<typeof createDomainEvents>;
