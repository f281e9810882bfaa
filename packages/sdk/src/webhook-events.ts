/** Every event a webhook can subscribe to (API.md "Webhooks"), as the server's schema lists them, and one of them. */
export { WEBHOOK_EVENT_TYPES, type WebhookEventTypeId } from "@latchkey/core";
