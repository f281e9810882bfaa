import type { Entity, Webhook, WebhookCreate, WebhookCreated, WebhookDelivery, WebhookUpdate } from "../types.js";
import { enc, entityPath } from "./entity-path.js";
import type { Deleted, PageOptions, Transport } from "./transport.js";

/** `LatchkeyClient.webhooks`: webhooks of a team or organisation, and their deliveries. */
export function createWebhooksApi(t: Transport, entity: Entity) {
  const base = `${entityPath(entity)}/webhooks`;
  const one = (webhookId: string) => `${base}/${enc(webhookId)}`;
  return {
    list: (options: PageOptions = {}) => t.page<Webhook>(base, "webhooks", options),
    all: () => t.all<Webhook>(base, "webhooks"),
    get: (webhookId: string) => t.request<Webhook>("GET", one(webhookId)),
    create: (body: WebhookCreate) => t.request<WebhookCreated>("POST", base, { body }),
    update: (webhookId: string, body: WebhookUpdate) => t.request<Webhook>("PATCH", one(webhookId), { body }),
    delete: (webhookId: string) => t.request<Deleted>("DELETE", one(webhookId)),
    /** Sends a `webhook.test` event now; the reply is its delivery (pending until the receiver answers). */
    test: (webhookId: string) => t.request<WebhookDelivery>("POST", `${one(webhookId)}/test`, { body: {} }),
    /** The webhook's deliveries, newest first. */
    deliveries: (webhookId: string, options: PageOptions = {}) =>
      t.page<WebhookDelivery>(`${one(webhookId)}/deliveries`, "deliveries", options),
  };
}

/** What `LatchkeyClient.webhooks()` returns. */
export type WebhooksApi = ReturnType<typeof createWebhooksApi>;
