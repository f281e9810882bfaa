/**
 * Every event a webhook can subscribe to (API.md "Webhooks"). In a module of its own, without zod: the console takes
 * its choices from here, and its bundle should not carry the schemas for a list.
 */
export const WEBHOOK_EVENT_TYPES = [
  "token.created",
  "token.revoked",
  "token.leaked",
  "token.orphaned",
  "token.expiring",
  "token.expired",
  "role.updated",
  "role.deleted",
] as const;
