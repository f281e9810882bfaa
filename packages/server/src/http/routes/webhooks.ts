import { PageQuery, Slug, Webhook, WebhookCreate, WebhookCreated, WebhookDelivery, WebhookUpdate } from "@latchkey/core";
import { z } from "zod";
import type { Services } from "../../services/app-services.js";
import type { Router } from "../route.js";
import { Deleted, ENTITY_PREFIXES, OpaqueId } from "./params.js";

/** Team and organisation webhooks (API.md "Webhooks"). */
export function webhookRoutes(router: Router, { webhooks }: Services): void {
  for (const { type, prefix, key } of ENTITY_PREFIXES) {
    const Params = z.strictObject({ [key]: Slug });
    const WebhookParams = z.strictObject({ [key]: Slug, webhookId: OpaqueId });
    const tags = [type === "team" ? "team webhooks" : "organisation webhooks"];
    const read = `${type}.webhooks.read` as const;
    const manage = `${type}.webhooks.manage` as const;
    const hookOf = (params: Record<string, unknown>) => params["webhookId"] as string;
    const page = (query: { perPage: number; cursor?: string | undefined }) => ({ perPage: query.perPage, cursor: query.cursor });

    router.add({
      method: "GET",
      url: `${prefix}/webhooks`,
      summary: `List the ${type}'s webhooks`,
      tags,
      permission: read,
      params: Params,
      query: PageQuery,
      reply: Webhook,
      list: "webhooks",
      handler: ({ principal, entity, query }) => webhooks.list(principal, entity, page(query)),
    });
    router.add({
      method: "POST",
      url: `${prefix}/webhooks`,
      summary: `Add a ${type} webhook (its signing secret is shown once)`,
      tags,
      permission: manage,
      params: Params,
      body: WebhookCreate,
      reply: WebhookCreated,
      secret: true,
      handler: ({ principal, entity, body }) => webhooks.create(principal, entity, body),
    });
    router.add({
      method: "GET",
      url: `${prefix}/webhooks/:webhookId`,
      summary: `Get a ${type} webhook`,
      tags,
      permission: read,
      params: WebhookParams,
      reply: Webhook,
      handler: ({ principal, entity, params }) => webhooks.get(principal, entity, hookOf(params)),
    });
    router.add({
      method: "PATCH",
      url: `${prefix}/webhooks/:webhookId`,
      summary: `Change a ${type} webhook (URL, events, description, enabled)`,
      tags,
      permission: manage,
      params: WebhookParams,
      body: WebhookUpdate,
      reply: Webhook,
      handler: ({ principal, entity, params, body }) => webhooks.update(principal, entity, hookOf(params), body),
    });
    router.add({
      method: "DELETE",
      url: `${prefix}/webhooks/:webhookId`,
      summary: `Delete a ${type} webhook and its deliveries`,
      tags,
      permission: manage,
      params: WebhookParams,
      reply: Deleted,
      handler: ({ principal, entity, params }) => webhooks.remove(principal, entity, hookOf(params)),
    });
    router.add({
      method: "POST",
      url: `${prefix}/webhooks/:webhookId/test`,
      summary: `Send a webhook.test event to a ${type} webhook`,
      tags,
      permission: manage,
      params: WebhookParams,
      body: z.strictObject({}),
      reply: WebhookDelivery,
      handler: ({ principal, entity, params }) => webhooks.test(principal, entity, hookOf(params)),
    });
    router.add({
      method: "GET",
      url: `${prefix}/webhooks/:webhookId/deliveries`,
      summary: `List a ${type} webhook's deliveries, newest first`,
      tags,
      permission: read,
      params: WebhookParams,
      query: PageQuery,
      reply: WebhookDelivery,
      list: "deliveries",
      handler: ({ principal, entity, params, query }) => webhooks.deliveries(principal, entity, hookOf(params), page(query)),
    });
  }
}
