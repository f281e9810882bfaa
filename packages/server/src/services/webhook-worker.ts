import { Webhook } from "standardwebhooks";
import type { Config } from "../config.js";
import type { Metrics } from "../lib/metrics.js";
import { open } from "../lib/sealed.js";
import type { WebhookDeliveryRow } from "../store/repositories/webhooks.js";
import type { Store } from "../store/store.js";
import { sendWebhook, type SendResult } from "./webhook-sender.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
/** The Standard Webhooks retry schedule: the wait after each failed attempt; after the last, the message has failed. */
export const RETRY_DELAYS_MS = [5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR];
/** How long a claimed message stays another worker's: past the send timeout, so it comes back only after a crash. */
const LEASE_MS = 60 * SECOND;
const TIMEOUT_MS = 10 * SECOND;
const MAX_RESPONSE_BYTES = 64 * 1024;
/** Messages claimed per query, and sent at most at once by one process. */
const BATCH = 16;
const MAX_IN_FLIGHT = 64;
/**
 * Sent at most at once by one process to one webhook: a hanging endpoint holds this many places until the timeout,
 * not all of them, so that every other webhook's messages still go out at once.
 */
export const MAX_IN_FLIGHT_PER_WEBHOOK = 4;
const POLL_MS = 1000;

/**
 * Delivers the outbox: claims due messages (row locks, so that no two workers of any process send one at the same
 * time), signs them with the webhook's secret (Standard Webhooks, the `standardwebhooks` package), POSTs them off
 * the request path, and records each attempt; a failure is retried on RETRY_DELAYS_MS, then given up.
 */
export function createWebhookWorker(deps: {
  store: Store;
  config: Config;
  now: () => Date;
  onError: (error: unknown) => void;
  pollMs?: number;
  metrics?: Metrics | null;
}) {
  const { store, config, now, onError, metrics } = deps;
  let timer: NodeJS.Timeout | undefined;
  let claiming: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  let unsubscribe = (): void => undefined;

  const deliver = async (row: WebhookDeliveryRow): Promise<void> => {
    const webhook = await store.webhooks.byId(row.webhook_id);
    let result: SendResult;
    if (!webhook) return; // deleted meanwhile: its messages went with it
    if (webhook.enabled !== 1) result = { statusCode: null, error: "webhook disabled", durationMs: 0 };
    else {
      const secret = open(config.masterKey, webhook.secret).toString("utf8");
      // The signature's timestamp is the wall clock's (receivers check it against theirs), the body's the event's.
      const signature = new Webhook(secret).sign(row.id, new Date(), row.payload);
      const headers = {
        "webhook-id": row.id,
        "webhook-timestamp": String(Math.floor(Date.now() / 1000)),
        "webhook-signature": signature,
      };
      result = await sendWebhook(webhook.url, headers, row.payload, {
        timeoutMs: TIMEOUT_MS,
        maxResponseBytes: MAX_RESPONSE_BYTES,
        allowPrivate: config.webhooks.allowPrivate,
      });
    }
    const at = now();
    const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    // A disabled webhook's messages are given up at once rather than retried for a day.
    const delay = webhook.enabled === 1 ? RETRY_DELAYS_MS[row.attempt - 1] : undefined;
    const error = ok ? null : (result.error ?? `HTTP ${result.statusCode ?? "?"}`);
    const status = ok ? "delivered" : delay === undefined ? "failed" : "pending";
    await store.transaction(async (tx) => {
      await tx.webhooks.logAttempt({
        delivery_id: row.id,
        attempt: row.attempt,
        at: at.toISOString(),
        status_code: result.statusCode,
        error,
        duration_ms: result.durationMs,
      });
      await tx.webhooks.finish(row.id, row.attempt, {
        status,
        next_attempt_at: ok || delay === undefined ? null : new Date(at.getTime() + delay).toISOString(),
        last_status_code: result.statusCode,
        last_error: error,
        delivered_at: ok ? at.toISOString() : null,
      });
    });
    metrics?.webhookAttempt(status === "pending" ? "retrying" : status);
  };

  const inflight = new Set<Promise<void>>();
  /** Messages in flight per webhook id (those of a webhook at MAX_IN_FLIGHT_PER_WEBHOOK are left for later). */
  const busy = new Map<string, number>();

  /**
   * Claims due messages while there is room and starts sending each at once: a slow or hanging receiver holds one
   * place until its timeout, never the messages behind it, and at most MAX_IN_FLIGHT_PER_WEBHOOK places. One claim
   * loop at a time per process.
   */
  const pump = async (): Promise<void> => {
    while (!stopped && inflight.size < MAX_IN_FLIGHT) {
      const at = now();
      const claimed = await store.transaction((tx) =>
        tx.webhooks.claimDue(
          at.toISOString(),
          new Date(at.getTime() + LEASE_MS).toISOString(),
          Math.min(BATCH, MAX_IN_FLIGHT - inflight.size),
          busy,
          MAX_IN_FLIGHT_PER_WEBHOOK,
        ),
      );
      if (claimed.length === 0) return;
      for (const row of claimed) {
        const hook = row.webhook_id;
        busy.set(hook, (busy.get(hook) ?? 0) + 1);
        const sending: Promise<void> = deliver(row)
          .catch(onError)
          .finally(() => {
            inflight.delete(sending);
            const left = (busy.get(hook) ?? 1) - 1;
            if (left > 0) busy.set(hook, left);
            else busy.delete(hook);
            // A place came free: messages left behind by the cap are due too.
            if (!stopped) void claim();
          });
        inflight.add(sending);
      }
    }
  };

  /** Runs the claim loop now, or once more after the one under way (a message may have come in after it looked). */
  const claim = (): Promise<void> => {
    if (claiming) {
      again = true;
      return claiming;
    }
    claiming = pump()
      .catch(onError)
      .finally(() => {
        claiming = null;
        if (again && !stopped) {
          again = false;
          void claim();
        }
      });
    return claiming;
  };

  /** Claims what is due now and waits for those sends to finish (tests call it after moving the clock on). */
  const run = async (): Promise<void> => {
    await claim();
    while (claiming) await claiming;
    await Promise.all([...inflight]);
  };

  return {
    /** Delivers what is due now (tests call it after moving the clock on). */
    run,
    /** Starts polling, and wakes on every process's `webhooks` change event; due retries resume at once. */
    start(): void {
      unsubscribe = store.feed.subscribe((event) => {
        if (event.t === "webhooks" || event.t === "resync") void claim();
      });
      timer = setInterval(() => void claim(), deps.pollMs ?? POLL_MS);
      timer.unref();
      void claim();
    },
    async stop(): Promise<void> {
      stopped = true;
      unsubscribe();
      if (timer) clearInterval(timer);
      await claiming;
      await Promise.all([...inflight]);
    },
  };
}

export type WebhookWorker = ReturnType<typeof createWebhookWorker>;
