import { randomBytes } from "node:crypto";
import { DomainError, grantAllows, type PermissionId, type WebhookEventTypeId } from "@latchkey/core";
import type { Config } from "../config.js";
import type { Recorder } from "../audit/service.js";
import type { Entity } from "../access/access.js";
import type { Principal } from "../access/principal.js";
import { newId } from "../lib/secrets.js";
import { seal } from "../lib/sealed.js";
import type { PageRequest } from "../store/pagination.js";
import type { WebhookDeliveryRow, WebhookRow } from "../store/repositories/webhooks.js";
import type { Repositories, Store } from "../store/store.js";
import { message } from "./webhook-events.js";
import { checkWebhookUrl } from "./webhook-urls.js";

/** A webhook as the API shows it: never its secret. */
export function toWebhook(row: WebhookRow) {
  return {
    id: row.id,
    url: row.url,
    events: JSON.parse(row.events) as WebhookEventTypeId[],
    description: row.description,
    enabled: row.enabled === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A message of the outbox as the API shows it. */
export function toDelivery(row: WebhookDeliveryRow) {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    eventType: row.event_type,
    status: row.status,
    attempt: row.attempt,
    nextAttemptAt: row.status === "pending" ? row.next_attempt_at : null,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
    payload: JSON.parse(row.payload) as unknown,
  };
}

/** A Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64. */
const newSecret = (): string => `whsec_${randomBytes(32).toString("base64")}`;

/** Team and organisation webhooks: add (the secret shown once), list, change, delete, test, and their deliveries. */
export function createWebhookService(deps: { store: Store; config: Config; now: () => Date; record: Recorder; wake: () => void }) {
  const { store, config, now, record, wake } = deps;
  const permission = (entity: Entity, action: "read" | "manage") => `${entity.type}.webhooks.${action}` as PermissionId;
  /** The router has checked the permission; an organisation's webhooks also need it without team restrictions. */
  const assertWholeOrg = (principal: Principal, entity: Entity, action: "read" | "manage"): void => {
    const needed = permission(entity, action);
    // An organisation's webhooks carry the events of all its teams: a role restricted to some teams must not see them.
    const unrestricted = principal.grants.some(
      (g) => g.entityType === "org" && g.entityId === entity.id && !g.restrictions.enabled && grantAllows(g, needed, entity.resource),
    );
    if (entity.type === "org" && !unrestricted) {
      throw new DomainError("FORBIDDEN", `organisation webhooks carry every team's events: ${needed} is needed without team restrictions`, {
        permission: needed,
      });
    }
  };
  const webhookIn = async (tx: Repositories, entity: Entity, webhookId: string): Promise<WebhookRow> => {
    const row = await tx.webhooks.byIdIn(entity.type, entity.id, webhookId);
    if (!row) throw new DomainError("NOT_FOUND", `webhook ${webhookId} not found`);
    return row;
  };
  const checkUrl = (url: string) => checkWebhookUrl(url, { allowPrivate: config.webhooks.allowPrivate, publicUrl: config.publicUrl });
  const resource = (id: string) => ({ type: "webhooks", id });

  return {
    async list(principal: Principal, entity: Entity, page: PageRequest) {
      assertWholeOrg(principal, entity, "read");
      const result = await store.webhooks.page(entity.type, entity.id, page);
      return { ...result, items: result.items.map(toWebhook) };
    },

    async get(principal: Principal, entity: Entity, webhookId: string) {
      assertWholeOrg(principal, entity, "read");
      return toWebhook(await webhookIn(store, entity, webhookId));
    },

    async create(principal: Principal, entity: Entity, input: { url: string; events: string[]; description: string }) {
      // Authorized before the URL's host is resolved: a caller without the permission learns nothing of it.
      assertWholeOrg(principal, entity, "manage");
      await checkUrl(input.url);
      const secret = newSecret();
      return store.transaction(async (tx) => {
        assertWholeOrg(principal, entity, "manage");
        const at = now().toISOString();
        const row: WebhookRow = {
          id: newId("whk"),
          entity_type: entity.type,
          entity_id: entity.id,
          url: input.url,
          events: JSON.stringify([...new Set(input.events)]),
          description: input.description,
          secret: seal(config.masterKey, Buffer.from(secret)),
          enabled: 1,
          created_at: at,
          updated_at: at,
        };
        await tx.webhooks.insert(row);
        const webhook = toWebhook(row);
        await record(tx, { principal, entity, event: "webhooks.create", resource: resource(row.id), change: { after: webhook } });
        return { ...webhook, secret };
      });
    },

    async update(
      principal: Principal,
      entity: Entity,
      webhookId: string,
      patch: { url?: string | undefined; events?: string[] | undefined; description?: string | undefined; enabled?: boolean | undefined },
    ) {
      assertWholeOrg(principal, entity, "manage");
      if (patch.url !== undefined) await checkUrl(patch.url);
      return store.transaction(async (tx) => {
        assertWholeOrg(principal, entity, "manage");
        const row = await webhookIn(tx, entity, webhookId);
        const next: WebhookRow = {
          ...row,
          ...(patch.url === undefined ? {} : { url: patch.url }),
          ...(patch.events === undefined ? {} : { events: JSON.stringify([...new Set(patch.events)]) }),
          ...(patch.description === undefined ? {} : { description: patch.description }),
          ...(patch.enabled === undefined ? {} : { enabled: patch.enabled ? 1 : 0 }),
          updated_at: now().toISOString(),
        };
        const { url, events, description, enabled, updated_at } = next;
        await tx.webhooks.update(webhookId, { url, events, description, enabled, updated_at });
        await record(tx, {
          principal,
          entity,
          event: "webhooks.update",
          resource: resource(webhookId),
          change: { before: toWebhook(row), after: toWebhook(next) },
        });
        return toWebhook(next);
      });
    },

    async remove(principal: Principal, entity: Entity, webhookId: string) {
      return store.transaction(async (tx) => {
        assertWholeOrg(principal, entity, "manage");
        const row = await webhookIn(tx, entity, webhookId);
        await tx.webhooks.remove(webhookId);
        await record(tx, {
          principal,
          entity,
          event: "webhooks.delete",
          resource: resource(webhookId),
          change: { before: toWebhook(row) },
        });
        return { id: webhookId, deleted: true as const };
      });
    },

    /** Sends a `webhook.test` message to this webhook now (through the outbox, as every delivery). */
    async test(principal: Principal, entity: Entity, webhookId: string) {
      const delivery = await store.transaction(async (tx) => {
        assertWholeOrg(principal, entity, "manage");
        const row = await webhookIn(tx, entity, webhookId);
        const msg = message(row, "webhook.test", { webhookId, entityType: entity.type, entityId: entity.id }, now());
        await tx.webhooks.enqueue([msg]);
        await tx.publish({ t: "webhooks" });
        await record(tx, {
          principal,
          entity,
          event: "webhooks.test",
          resource: resource(webhookId),
          change: { after: { deliveryId: msg.id } },
        });
        return msg;
      });
      wake();
      return toDelivery(delivery);
    },

    async deliveries(principal: Principal, entity: Entity, webhookId: string, page: PageRequest) {
      assertWholeOrg(principal, entity, "read");
      await webhookIn(store, entity, webhookId);
      const result = await store.webhooks.deliveries(webhookId, page);
      return { ...result, items: result.items.map(toDelivery) };
    },
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
