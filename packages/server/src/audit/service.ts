import { DomainError } from "@latchkey/core";
import type { AuditBuffer } from "./buffer.js";
import type { AuditDraft } from "./chain.js";
import { verifyFeed, type ChainCheck } from "./verify.js";
import type { Config } from "../config.js";
import { REQUEST_EVENT, type AuditFilter, type AuditRow } from "./order.js";
import { auditOf } from "./repository.js";
import { createAuditNames, type Names } from "./names.js";
import type { PageRequest } from "../store/pagination.js";
import type { Repositories, Store } from "../store/store.js";
import type { EntityType } from "../store/schema.js";
import { createTimeSlicer } from "../lib/time-slices.js";
import type { AuditReadGate, Release } from "./reads.js";
import type { Principal } from "../access/principal.js";
import type { RequestContext } from "../access/request-context.js";
import type { RateDecision } from "../store/rate-counter.js";
import { newSortableId } from "../lib/secrets.js";
import type { Entity } from "../access/access.js";

/** Statuses that say the caller was refused (credential, permission, rate limit), not that the work failed. */
const DENIED = new Set([401, 403, 429]);
const NO_CONTEXT: RequestContext = { ip: "", userAgent: "", origin: "api", method: "", path: "" };

/** An audit event as the API shows it, with the names of its actor and resource. */
function toAuditEvent(row: AuditRow, names: Names) {
  const actorName = names.actor(row);
  const resourceName = names.resource(row);
  return {
    id: row.id,
    at: row.at,
    eventType: row.event_type,
    entity: { type: row.entity_type, id: row.entity_id },
    actor: {
      type: row.actor_type,
      id: row.actor_id,
      ...(row.actor_email ? { email: row.actor_email } : {}),
      ...(actorName !== undefined ? { name: actorName } : {}),
    },
    ...(row.token_id ? { tokenId: row.token_id } : {}),
    origin: row.origin,
    outcome: row.outcome,
    status: row.status,
    method: row.method,
    path: row.path,
    resource: { type: row.resource_type, id: row.resource_id, ...(resourceName !== undefined ? { name: resourceName } : {}) },
    ip: row.ip,
    userAgent: row.user_agent,
    durationMs: row.duration_ms,
    details: JSON.parse(row.details) as Record<string, unknown>,
  };
}

/** A change's before and after, for the event's details. */
export interface Change {
  before?: unknown;
  after?: unknown;
}

/** The audit log: change events in the change's transaction, request events through the buffer, reading and checks. */
export function createAuditService(deps: {
  store: Store;
  config: Config;
  buffer: AuditBuffer;
  gate: AuditReadGate;
  now: () => Date;
  nowMs: () => number;
}) {
  const { store, config, buffer, gate, now, nowMs } = deps;
  const log = auditOf(store);
  const names = createAuditNames(store.executor.ex);
  /** A page of rows as the API shows them, names read once for the page. */
  const shown = async (rows: AuditRow[]) => {
    const named = await names.of(rows);
    return rows.map((row) => toAuditEvent(row, named));
  };

  /** An expensive read (a whole feed) counts against its person's limit and waits for a place to run. */
  const admit = async (principal: Principal, onRate?: (decision: RateDecision) => void): Promise<Release> => {
    const decision = gate.take(principal);
    onRate?.(decision);
    if (!decision.allowed) throw gate.refusal(decision);
    return gate.enter(principal);
  };

  const actorOf = (p: Principal) => ({
    actor_type: p.kind === "api" ? ("apiToken" as const) : ("user" as const),
    actor_id: p.kind === "api" ? (p.tokenId ?? "") : p.userId,
    actor_email: p.email,
    token_id: p.tokenId,
  });

  /** The feed of an entity the router has authorized (`*.audit.read`), or of one of its tokens. */
  const filterFor = async (entity: Entity, tokenId?: string): Promise<AuditFilter> => {
    if (tokenId !== undefined && !(await store.tokens.byIdIn(entity.type, entity.id, tokenId))) {
      throw new DomainError("NOT_FOUND", `token ${tokenId} not found`);
    }
    if (tokenId !== undefined) return { entity: { type: entity.type, id: entity.id }, tokenFeed: tokenId };
    // A team of an organisation also sees what the organisation's tokens did to it.
    const orgId = entity.type === "team" ? ((await store.teams.byId(entity.id))?.org_id ?? null) : null;
    return { entity: { type: entity.type, id: entity.id }, ...(orgId ? { orgRequests: { orgId, teamId: entity.id } } : {}) };
  };

  // An event's time as stored, made once per millisecond: a busy server audits many requests in one.
  let stampMs = Number.NaN;
  let stamp = "";
  const nowIso = (): string => {
    const ms = nowMs();
    if (ms !== stampMs) {
      stampMs = ms;
      stamp = new Date(ms).toISOString();
    }
    return stamp;
  };

  return {
    buffer,

    /** Records a change in the same transaction as the change itself: both commit, or neither. */
    change: async (tx: Repositories, { principal, entity, event: eventType, resource, change, context }: ChangeRecord): Promise<void> => {
      const c = principal?.context ?? context ?? NO_CONTEXT;
      const feed = `${entity.type}:${entity.id}`;
      if (principal?.context) {
        const changes = (principal.context.changes ??= []);
        if (!changes.includes(feed)) changes.push(feed);
      }
      const draft: AuditDraft = {
        id: newSortableId("evt"),
        feed,
        seq: 0,
        entity_type: entity.type,
        entity_id: entity.id,
        at: now().toISOString(),
        event_type: eventType,
        ...(principal ? actorOf(principal) : { actor_type: "anonymous" as const, actor_id: "", actor_email: null, token_id: null }),
        origin: c.origin,
        outcome: "allowed",
        status: 200,
        method: c.method,
        path: c.path,
        resource_type: resource.type,
        resource_id: resource.id,
        ip: c.ip,
        user_agent: c.userAgent,
        duration_ms: null,
        details: JSON.stringify(change),
        prev_hash: "",
        hash: "",
      };
      await auditOf(tx).append([draft]);
    },

    /** The event of one request made with an API token (allowed, denied or failed). */
    requestDraft(input: {
      tokenId: string;
      entityType: EntityType;
      entityId: string;
      email: string | null;
      context: RequestContext;
      status: number;
      durationMs: number;
      resource: { type: string | null; id: string | null };
      /** `request` unless a door says otherwise (`auth.forward`, `auth.check`), with its details as JSON. */
      eventType?: `auth.${string}`;
      details?: string;
    }): AuditDraft {
      const outcome = input.status < 400 ? "allowed" : DENIED.has(input.status) ? "denied" : "failed";
      return {
        id: newSortableId("evt"),
        feed: `token:${input.tokenId}`,
        seq: 0,
        entity_type: input.entityType,
        entity_id: input.entityId,
        at: nowIso(),
        event_type: input.eventType ?? REQUEST_EVENT,
        actor_type: "apiToken",
        actor_id: input.tokenId,
        actor_email: input.email,
        token_id: input.tokenId,
        origin: input.context.origin,
        outcome,
        status: input.status,
        method: input.context.method,
        path: input.context.path,
        resource_type: input.resource.type,
        resource_id: input.resource.id,
        ip: input.context.ip,
        user_agent: input.context.userAgent,
        duration_ms: Math.round(input.durationMs),
        details: input.details ?? "{}",
        prev_hash: "",
        hash: "",
      };
    },

    /** A page of a team's or organisation's feed, or of one token's feed. */
    async list(entity: Entity, query: Omit<AuditFilter, "entity" | "tokenFeed">, page: PageRequest, tokenId?: string) {
      const filter = { ...(await filterFor(entity, tokenId)), ...query };
      const result = await log.page(filter, page, createTimeSlicer());
      return { ...result, items: await shown(result.items) };
    },

    /**
     * Every matching event, newest first, as JSON lines (for a SIEM), a page of lines at a time; pages through the
     * store, never all in memory.
     * An expensive read (see `admit`); it holds a place to run only while it reads a page, not while the client is
     * slow to take the lines, and lets other requests run between slices.
     */
    async *export(
      principal: Principal,
      entity: Entity,
      query: Omit<AuditFilter, "entity" | "tokenFeed">,
      tokenId?: string,
      onRate?: (decision: RateDecision) => void,
    ): AsyncGenerator<string> {
      const filter = { ...(await filterFor(entity, tokenId)), ...query };
      let release: Release | null = await admit(principal, onRate);
      const slicer = createTimeSlicer();
      try {
        let cursor: string | undefined;
        do {
          // The export already started: its next page waits its turn rather than being refused.
          release ??= await gate.enter(principal, { queue: true });
          const page = await log.page(filter, { perPage: 500, cursor }, slicer);
          const events = await shown(page.items);
          release();
          release = null;
          // A page's lines go out as one piece: a write per line cost more than making the lines.
          if (events.length > 0) yield events.map((event) => JSON.stringify(event) + "\n").join("");
          cursor = page.cursor;
          await slicer.pause();
        } while (cursor);
      } finally {
        release?.();
      }
    },

    /**
     * Recomputes the chains of the feeds shown by a team, organisation or token feed: an expensive read (see
     * `admit`), in slices that let other requests run between them.
     */
    async verify(principal: Principal, entity: Entity, tokenId?: string, onRate?: (decision: RateDecision) => void): Promise<ChainCheck> {
      await filterFor(entity, tokenId); // a token feed of another entity is a 404
      const release = await admit(principal, onRate);
      try {
        const feeds = tokenId !== undefined ? [`token:${tokenId}`] : await log.feedsOf(entity.type, entity.id);
        const slicer = createTimeSlicer();
        let checked = 0;
        for (const feed of feeds.sort()) {
          const result = await verifyFeed(log, feed, slicer);
          checked += result.checked;
          if (!result.ok) return { ...result, checked };
        }
        return { ok: true, checked };
      } finally {
        release();
      }
    },

    /** Deletes events past the retention period; the remaining chains keep verifying. */
    async prune(): Promise<number> {
      const cutoff = new Date(now().getTime() - config.audit.retentionDays * 86_400_000).toISOString();
      return store.transaction((tx) => auditOf(tx).prune(cutoff));
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;

/** How services record a change: in their own transaction, with the actor, the feed and a before/after. */
export type Recorder = AuditService["change"];

/** One change for the audit log: who made it, in which feed, what happened to which resource, before and after. */
export interface ChangeRecord {
  /** Null for changes nobody signed in made (accepting an invitation). */
  principal: Principal | null;
  /** The team's or organisation's feed the event goes to. */
  entity: { type: EntityType; id: string };
  /** `projects.create`, `roles.delete`, ... */
  event: string;
  resource: { type: string; id: string };
  change: Change;
  /** Where an anonymous change came from (a token exchange, a public revocation), when no principal carries it. */
  context?: RequestContext;
}
