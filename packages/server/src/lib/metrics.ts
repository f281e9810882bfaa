import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * The doors a token decision comes through: Latchkey's own routes ("api"); the gateway doors (forward auth, check,
 * introspection) are named here so that their label set is fixed before they exist.
 */
export type Door = "api" | "forward" | "check" | "introspect";
/** How a token decision ended, read from the reply's status. */
export type DecisionOutcome = "allowed" | "unauthenticated" | "forbidden" | "not_found" | "rate_limited" | "invalid" | "error";
/** What a password was checked for: signing in, changing it (the current one), accepting an invitation with it. */
export type PasswordPurpose = "sign_in" | "password_change" | "invitation";
const PASSWORD_PURPOSES: readonly PasswordPurpose[] = ["sign_in", "password_change", "invitation"];

/** What the scrape reads from the running server: nothing of it is counted per request. */
export interface MetricSources {
  auditBufferDepth(): number;
  changeFeedConnected(): boolean;
}

const SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** The outcome of a decision whose reply has `status`. */
export function outcomeOf(status: number): DecisionOutcome {
  if (status < 400) return "allowed";
  if (status === 401) return "unauthenticated";
  if (status === 403) return "forbidden";
  if (status === 404) return "not_found";
  if (status === 429) return "rate_limited";
  return status < 500 ? "invalid" : "error";
}

/**
 * The server's Prometheus metrics, one registry per server (tests run several in one process). Every label set is
 * bounded: methods, route patterns (never a raw URL), status classes, doors, outcomes; no token, user or secret is
 * ever a label. The per-request path takes cached children, so a request allocates no label object.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const http = new Histogram({
    name: "latchkey_http_request_duration_seconds",
    help: "HTTP requests by method, route pattern and status class, from arrival to the reply sent",
    labelNames: ["method", "route", "status"] as const,
    buckets: SECONDS,
    registers: [registry],
  });
  const decisions = new Counter({
    name: "latchkey_token_decisions_total",
    help: "Decisions on requests made with an API token, by door and outcome",
    labelNames: ["door", "outcome"] as const,
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: "latchkey_rate_limit_refusals_total",
    help: "Requests refused with 429, by the limit that refused them (a token's hourly limit, or an address's failures)",
    labelNames: ["limit"] as const,
    registers: [registry],
  });
  const auditGroup = new Histogram({
    name: "latchkey_audit_write_group_size",
    help: "Request events written to the store in one write",
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [registry],
  });
  const auditWrite = new Histogram({
    name: "latchkey_audit_write_seconds",
    help: "How long one write of request events took until committed",
    buckets: SECONDS,
    registers: [registry],
  });
  const auditFailures = new Counter({
    name: "latchkey_audit_write_failures_total",
    help: "Writes of request events that failed (the events stay buffered)",
    registers: [registry],
  });
  const feedLag = new Histogram({
    name: "latchkey_change_feed_lag_seconds",
    help: "From a change's NOTIFY to its delivery to this process (PostgreSQL; clocks of different hosts may differ)",
    buckets: SECONDS,
    registers: [registry],
  });
  const webhookAttempts = new Counter({
    name: "latchkey_webhook_deliveries_total",
    help: "Webhook delivery attempts by outcome: delivered (2xx), retrying (to be tried again), failed (given up)",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const passwordChecks = new Counter({
    name: "latchkey_password_checks_total",
    help: "Passwords compared with their hash (scrypt), by purpose and result; an unknown address's check is a mismatch",
    labelNames: ["purpose", "result"] as const,
    registers: [registry],
  });
  // Every series from the start, at 0: a rate over a burst of guesses needs the value from before it.
  for (const purpose of PASSWORD_PURPOSES) for (const result of ["match", "mismatch"]) passwordChecks.labels(purpose, result).inc(0);
  let sources: MetricSources | null = null;
  new Gauge({
    name: "latchkey_audit_buffer_depth",
    help: "Request events waiting in this process's audit buffer",
    registers: [registry],
    collect() {
      if (sources) this.set(sources.auditBufferDepth());
    },
  });
  new Gauge({
    name: "latchkey_change_feed_connected",
    help: "1 while this process receives the change feed (always 1 on SQLite), else 0",
    registers: [registry],
    collect() {
      if (sources) this.set(sources.changeFeedConnected() ? 1 : 0);
    },
  });

  type Child = { observe(value: number): void };
  const httpChildren = new Map<string, Child>();
  const decisionChildren = new Map<string, { inc(): void }>();
  const tokenLimit = rateLimited.labels("token");
  const addressLimit = rateLimited.labels("address");
  const statusClass = (status: number) => `${Math.floor(status / 100)}xx`;

  return {
    registry,
    /** The numbers read at scrape time. */
    attach(from: MetricSources): void {
      sources = from;
    },
    /** One request's duration; `route` is the pattern it matched (bounded), "unmatched" when none did. */
    request(method: string, route: string, status: number, seconds: number): void {
      const key = `${method} ${route} ${status}`;
      let child = httpChildren.get(key);
      if (!child) {
        child = http.labels(method, route, statusClass(status));
        httpChildren.set(key, child);
      }
      child.observe(seconds);
    },
    decision(door: Door, status: number): void {
      const key = `${door} ${status}`;
      let child = decisionChildren.get(key);
      if (!child) {
        child = decisions.labels(door, outcomeOf(status));
        decisionChildren.set(key, child);
      }
      child.inc();
    },
    rateLimited(limit: "token" | "address"): void {
      (limit === "token" ? tokenLimit : addressLimit).inc();
    },
    auditWrite(events: number, seconds: number, failed: boolean): void {
      if (failed) auditFailures.inc();
      else {
        auditGroup.observe(events);
        auditWrite.observe(seconds);
      }
    },
    passwordCheck(purpose: PasswordPurpose, matched: boolean): void {
      passwordChecks.labels(purpose, matched ? "match" : "mismatch").inc();
    },
    webhookAttempt(outcome: "delivered" | "retrying" | "failed"): void {
      webhookAttempts.labels(outcome).inc();
    },
    feedLag(ms: number): void {
      feedLag.observe(Math.max(0, ms) / 1000);
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
