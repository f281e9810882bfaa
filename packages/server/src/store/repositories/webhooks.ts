import { sql } from "kysely";
import type { Executor } from "../database.js";
import type { Dialect } from "../dialects/dialect.js";
import { keysetPage, type PageRequest } from "../pagination.js";
import type { EntityType, WebhookAttemptsTable, WebhookDeliveriesTable, WebhooksTable } from "../schema.js";

export type WebhookRow = WebhooksTable;
export type WebhookDeliveryRow = WebhookDeliveriesTable;
export type WebhookAttemptRow = WebhookAttemptsTable;

/** Webhook endpoints, their outbox and its delivery log. */
export function createWebhooksRepository(db: Executor, dialect: Dialect) {
  return {
    insert: (row: WebhookRow) => db.insertInto("webhooks").values(row).execute(),
    byIdIn: (entityType: EntityType, entityId: string, id: string) =>
      db
        .selectFrom("webhooks")
        .selectAll()
        .where("entity_type", "=", entityType)
        .where("entity_id", "=", entityId)
        .where("id", "=", id)
        .executeTakeFirst(),
    byId: (id: string) => db.selectFrom("webhooks").selectAll().where("id", "=", id).executeTakeFirst(),
    page: (entityType: EntityType, entityId: string, page: PageRequest) =>
      keysetPage(db.selectFrom("webhooks").selectAll().where("entity_type", "=", entityType).where("entity_id", "=", entityId), page),
    update: (id: string, patch: Partial<Pick<WebhookRow, "url" | "events" | "description" | "enabled" | "updated_at">>) =>
      db.updateTable("webhooks").set(patch).where("id", "=", id).execute(),
    remove: (id: string) => db.deleteFrom("webhooks").where("id", "=", id).execute(),
    /** A deleted team's or organisation's webhooks, with their outbox (deliveries go with their webhook). */
    removeAllOf: (entityType: EntityType, entityId: string) =>
      db.deleteFrom("webhooks").where("entity_type", "=", entityType).where("entity_id", "=", entityId).execute(),
    /** The enabled webhooks of these teams and organisations (the caller filters by event type). */
    enabledOf: (targets: { type: EntityType; id: string }[]) =>
      targets.length === 0
        ? Promise.resolve([])
        : db
            .selectFrom("webhooks")
            .selectAll()
            .where("enabled", "=", 1)
            .where((eb) => eb.or(targets.map((t) => eb.and([eb("entity_type", "=", t.type), eb("entity_id", "=", t.id)]))))
            .execute(),
    /** Every enabled webhook that takes token expiry events. */
    expiryListeners: () =>
      db
        .selectFrom("webhooks")
        .selectAll()
        .where("enabled", "=", 1)
        .where((eb) => eb.or([eb("events", "like", '%"token.expiring"%'), eb("events", "like", '%"token.expired"%')]))
        .execute(),

    /** Writes messages to the outbox; one whose `dedupe_key` exists already is skipped. Returns how many were new. */
    async enqueue(rows: WebhookDeliveryRow[]): Promise<number> {
      let added = 0;
      for (const row of rows) {
        const result = await db
          .insertInto("webhook_deliveries")
          .values(row)
          .onConflict((oc) => oc.column("dedupe_key").doNothing())
          .executeTakeFirst();
        added += Number(result.numInsertedOrUpdatedRows ?? 0n);
      }
      return added;
    },
    /**
     * Claims up to `limit` due messages for this caller, oldest due first: their attempt is counted and their due time
     * pushed on to `leaseUntil`, so that no other worker takes them meanwhile and a crashed worker's come back when it
     * passes. Rows another transaction is claiming are passed over (PostgreSQL `skip locked`). A webhook is given at
     * most `perWebhook` messages in flight, counting the caller's `busy` ones: one at its cap is passed over, and its
     * messages beyond the cap stay as they were (pending, attempt not counted) for a later claim. Claims none only
     * when nothing is due for a webhook with room. Run inside a transaction.
     */
    async claimDue(
      now: string,
      leaseUntil: string,
      limit: number,
      busy: ReadonlyMap<string, number>,
      perWebhook: number,
    ): Promise<WebhookDeliveryRow[]> {
      const full = [...busy].filter(([, n]) => n >= perWebhook).map(([id]) => id);
      let query = db.selectFrom("webhook_deliveries").selectAll().where("status", "=", "pending").where("next_attempt_at", "<=", now);
      if (full.length > 0) query = query.where("webhook_id", "not in", full);
      const due = await dialect.forUpdateSkipLocked(query.orderBy("next_attempt_at").orderBy("id").limit(limit)).execute();
      const taken = new Map(busy);
      const claimed = due.filter((r) => {
        const n = taken.get(r.webhook_id) ?? 0;
        if (n >= perWebhook) return false;
        taken.set(r.webhook_id, n + 1);
        return true;
      });
      if (claimed.length === 0) return [];
      await db
        .updateTable("webhook_deliveries")
        .set({ next_attempt_at: leaseUntil, attempt: sql<number>`attempt + 1` })
        .where(
          "id",
          "in",
          claimed.map((r) => r.id),
        )
        .execute();
      return claimed.map((r) => ({ ...r, attempt: r.attempt + 1, next_attempt_at: leaseUntil }));
    },
    /** Records the outcome of a claimed attempt, unless another worker has claimed the message since (lease lost). */
    finish: async (
      id: string,
      attempt: number,
      outcome: Pick<WebhookDeliveryRow, "status" | "next_attempt_at" | "last_status_code" | "last_error" | "delivered_at">,
    ) =>
      (await db.updateTable("webhook_deliveries").set(outcome).where("id", "=", id).where("attempt", "=", attempt).executeTakeFirst())
        .numUpdatedRows === 1n,
    logAttempt: (row: WebhookAttemptRow) =>
      db
        .insertInto("webhook_attempts")
        .values(row)
        .onConflict((oc) => oc.columns(["delivery_id", "attempt"]).doNothing())
        .execute(),
    deliveryById: (id: string) => db.selectFrom("webhook_deliveries").selectAll().where("id", "=", id).executeTakeFirst(),
    deliveries: (webhookId: string, page: PageRequest) =>
      keysetPage(db.selectFrom("webhook_deliveries").selectAll().where("webhook_id", "=", webhookId), page),
    attemptsOf: (deliveryId: string) =>
      db.selectFrom("webhook_attempts").selectAll().where("delivery_id", "=", deliveryId).orderBy("attempt").execute(),
    /** Unrevoked tokens that expire in (`from`, `to`]: the expiry scan's candidates. */
    tokensExpiringBetween: (from: string, to: string) =>
      db
        .selectFrom("api_tokens")
        .select(["id", "entity_type", "entity_id", "role_id", "name", "expires_at"])
        .where("revoked_at", "is", null)
        .where("expires_at", "is not", null)
        .where("expires_at", ">", from)
        .where("expires_at", "<=", to)
        .execute(),
  };
}
