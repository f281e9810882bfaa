import { z } from "zod";
import { WEBHOOK_EVENT_TYPES } from "../webhook-events.js";
import { Description, IsoTime } from "./common.js";

export const WebhookEventType = z.enum(WEBHOOK_EVENT_TYPES);
export type WebhookEventTypeId = z.infer<typeof WebhookEventType>;

/** An http(s) URL of bounded size; where its host points is checked by the server (not loopback or private). */
export const WebhookUrl = z
  .string()
  .max(2048)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === "https:" || url.protocol === "http:") && url.username === "" && url.password === "";
    } catch {
      return false;
    }
  }, "must be an http(s):// URL without credentials");

const Events = z.array(WebhookEventType).min(1).max(WEBHOOK_EVENT_TYPES.length);

/** `POST .../webhooks`. */
export const WebhookCreate = z.strictObject({
  url: WebhookUrl,
  events: Events,
  description: Description.default(""),
});

/** `PATCH .../webhooks/{webhookId}`. */
export const WebhookUpdate = z.strictObject({
  url: WebhookUrl.optional(),
  events: Events.optional(),
  description: Description.optional(),
  enabled: z.boolean().optional(),
});

/** A webhook endpoint as the API shows it: never its secret (only the reply to its creation carries that). */
export const Webhook = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(WebhookEventType),
  description: z.string(),
  enabled: z.boolean(),
  createdAt: IsoTime,
  updatedAt: IsoTime,
});

/** The reply to `POST .../webhooks`: the signing secret (`whsec_...`), shown once. */
export const WebhookCreated = Webhook.extend({ secret: z.string() });

/** One message of the outbox and how its delivery went. */
export const WebhookDelivery = z.object({
  id: z.string(),
  webhookId: z.string(),
  eventType: z.string(),
  status: z.enum(["pending", "delivered", "failed"]),
  attempt: z.number().int(),
  nextAttemptAt: IsoTime.nullable(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: IsoTime,
  deliveredAt: IsoTime.nullable(),
  payload: z.unknown(),
});
