import type { Store } from "../store/store.js";
import { enqueueEvent } from "./webhook-events.js";

const DAY = 86_400_000;
/** `token.expiring` is sent once when a token has 7 days left, and once when it has 1 day left. */
const THRESHOLDS = [
  { name: "7d", from: DAY, to: 7 * DAY },
  { name: "1d", from: 0, to: DAY },
] as const;
/** `token.expired` for tokens that expired within this long: a scan that was down a while still announces them. */
const EXPIRED_WINDOW_MS = DAY;

/**
 * Announces tokens about to expire and expired ones. Any number of processes may scan at once: every message carries
 * a key (event, threshold, token, webhook) unique in the outbox, so each is enqueued exactly once.
 */
export function createWebhookExpiry(deps: { store: Store; now: () => Date }) {
  const { store, now } = deps;
  const tokenData = (t: {
    id: string;
    entity_type: string;
    entity_id: string;
    role_id: string;
    name: string;
    expires_at: string | null;
  }) => ({
    id: t.id,
    name: t.name,
    entityType: t.entity_type,
    entityId: t.entity_id,
    roleId: t.role_id,
    expiresAt: t.expires_at,
  });

  return {
    /** One scan; returns how many messages it enqueued. */
    async scan(): Promise<number> {
      if ((await store.webhooks.expiryListeners()).length === 0) return 0;
      const at = now();
      const ms = at.getTime();
      let added = 0;
      for (const threshold of THRESHOLDS) {
        const from = new Date(ms + threshold.from).toISOString();
        const to = new Date(ms + threshold.to).toISOString();
        for (const token of await store.webhooks.tokensExpiringBetween(from, to)) {
          added += await store.transaction((tx) =>
            enqueueEvent(
              tx,
              { type: token.entity_type, id: token.entity_id },
              "token.expiring",
              { token: tokenData(token), threshold: threshold.name },
              at,
              `token.expiring:${threshold.name}:${token.id}`,
            ),
          );
        }
      }
      const expired = await store.webhooks.tokensExpiringBetween(new Date(ms - EXPIRED_WINDOW_MS).toISOString(), at.toISOString());
      for (const token of expired) {
        added += await store.transaction((tx) =>
          enqueueEvent(
            tx,
            { type: token.entity_type, id: token.entity_id },
            "token.expired",
            { token: tokenData(token) },
            at,
            `token.expired:${token.id}`,
          ),
        );
      }
      return added;
    },
  };
}

export type WebhookExpiry = ReturnType<typeof createWebhookExpiry>;
