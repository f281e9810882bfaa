import type { ChangeRecord, Recorder } from "../audit/service.js";
import { newSortableId } from "../lib/secrets.js";
import type { WebhookDeliveryRow, WebhookRow } from "../store/repositories/webhooks.js";
import type { EntityType } from "../store/schema.js";
import type { Repositories } from "../store/store.js";

/**
 * The event a change announces, by its audit event type. `apiTokens.leaked` is what the leaked-token revocation
 * (public revocation, GitHub secret scanning) records in its transaction, `apiTokens.orphaned` what removing a member
 * records for each live token they created (services/orphaned-tokens.ts).
 */
function eventOf(auditType: string, change: { before?: unknown; after?: unknown }, resourceId: string, entity: ChangeRecord["entity"]) {
  if (auditType === "apiTokens.leaked") {
    // What the receiver needs, and not the reporter's address the audit event keeps.
    const { revokedAt, source, url } = asObject(change.after);
    return { type: "token.leaked", data: { token: { id: resourceId, revokedAt }, source, ...(url === undefined ? {} : { url }) } };
  }
  if (auditType === "apiTokens.orphaned") {
    // Where the token lives (an organisation's webhook hears of its teams' tokens too) and where its creator left.
    const { name, creatorId, creatorEmail, leftFrom } = asObject(change.after);
    const [leftType, leftId] = typeof leftFrom === "string" ? leftFrom.split(":", 2) : [];
    return {
      type: "token.orphaned",
      data: {
        token: { id: resourceId, name, entityType: entity.type, entityId: entity.id, creatorLeft: true },
        creator: { id: creatorId, email: creatorEmail },
        leftFrom: { entityType: leftType, entityId: leftId },
      },
    };
  }
  switch (auditType) {
    case "apiTokens.create":
      return { type: "token.created", data: { token: change.after } };
    case "apiTokens.revoke":
      return { type: "token.revoked", data: { token: { id: resourceId, ...asObject(change.after) } } };
    case "roles.update":
      return { type: "role.updated", data: { role: change.after } };
    case "roles.delete":
      return { type: "role.deleted", data: { role: change.before } };
    default:
      return null;
  }
}

const asObject = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === "object" ? (value as Record<string, unknown>) : {};

const subscribes = (webhook: WebhookRow, type: string): boolean => (JSON.parse(webhook.events) as string[]).includes(type);

/** The message a webhook is sent: `{type, timestamp, data}`, due now. */
export function message(webhook: WebhookRow, type: string, data: unknown, at: Date, dedupeKey: string | null = null): WebhookDeliveryRow {
  const timestamp = at.toISOString();
  return {
    id: newSortableId("msg"),
    webhook_id: webhook.id,
    event_type: type,
    payload: JSON.stringify({ type, timestamp, data }),
    dedupe_key: dedupeKey,
    attempt: 0,
    next_attempt_at: timestamp,
    status: "pending",
    last_status_code: null,
    last_error: null,
    created_at: timestamp,
    delivered_at: null,
  };
}

/**
 * Puts an event in the outbox of every enabled webhook that takes it: the team's or organisation's own, and for a
 * team its organisation's. Runs in the caller's transaction (both commit, or neither), then wakes the workers of
 * every process once it commits. `dedupe` (per webhook) makes a one-time event unique across processes.
 */
export async function enqueueEvent(
  tx: Repositories,
  entity: { type: EntityType; id: string; orgId?: string | null },
  type: string,
  data: unknown,
  at: Date,
  dedupe?: string,
): Promise<number> {
  const targets = [{ type: entity.type, id: entity.id }];
  const orgId =
    entity.type === "team" ? (entity.orgId !== undefined ? entity.orgId : ((await tx.teams.byId(entity.id))?.org_id ?? null)) : null;
  if (orgId) targets.push({ type: "org", id: orgId });
  const webhooks = (await tx.webhooks.enabledOf(targets)).filter((w) => subscribes(w, type));
  if (webhooks.length === 0) return 0;
  const added = await tx.webhooks.enqueue(webhooks.map((w) => message(w, type, data, at, dedupe ? `${dedupe}:${w.id}` : null)));
  if (added > 0) await tx.publish({ t: "webhooks" });
  return added;
}

/**
 * The audit recorder, extended: a change that webhooks announce is enqueued in the same transaction as its audit
 * event (the outbox pattern), so every committed change has its deliveries and no rolled-back one does.
 */
export function announcingRecorder(record: Recorder, now: () => Date): Recorder {
  return async (tx, change) => {
    await record(tx, change);
    const event = eventOf(change.event, change.change, change.resource.id, change.entity);
    if (event) await enqueueEvent(tx, change.entity, event.type, event.data, now());
  };
}
