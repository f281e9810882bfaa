// Audit benchmark, part (1): request events per second into the store, end to end through the audit buffer, on
// SQLite and PostgreSQL; afterwards the stored count and every feed's hash chain are checked. Run by bench/audit.mjs.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import process from "node:process";
import { openServer, pgAdmin, POSTGRES_ADMIN_URL, serverModule, TEAM_ID } from "./lib.mjs";
import { cpuNow, fmt, tick } from "./timing.mjs";

/** Token feeds the measured events are spread over. */
export const FEEDS = 10;
export const GOAL_SQLITE_EVENTS_PER_SEC = 50_000;

export const nowMs = () => performance.now();

/** Request contexts of realistic sizes: a few routes, user agents, addresses and outcomes. */
const USER_AGENTS = [
  "latchkey-sdk/0.1.0 node/20.20.2 (linux; x64)",
  "latchkey-cli/0.1.0 (darwin; arm64) node/22.11.0",
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "python-requests/2.32.3",
  "Terraform/1.9.8 latchkey-provider/0.3.1",
];
const IPS = ["203.0.113.7", "198.51.100.23", "2001:db8:85a3::8a2e:370:7334", "10.20.30.40"];
const ROUTES = [
  { method: "GET", path: "/v1/projects", resource: { type: "projects", id: null }, status: 200 },
  {
    method: "GET",
    path: `/v1/teams/${TEAM_ID}/projects/prj_4fJb0cRk2Xq9LmNwZs7TyE`,
    resource: { type: "projects", id: "prj_4fJb0cRk2Xq9LmNwZs7TyE" },
    status: 200,
  },
  {
    method: "PATCH",
    path: `/v1/teams/${TEAM_ID}/projects/prj_4fJb0cRk2Xq9LmNwZs7TyE`,
    resource: { type: "projects", id: "prj_4fJb0cRk2Xq9LmNwZs7TyE" },
    status: 200,
  },
  { method: "POST", path: `/v1/teams/${TEAM_ID}/projects`, resource: { type: "projects", id: null }, status: 201 },
  { method: "GET", path: "/v1/members", resource: { type: "members", id: null }, status: 403 },
  {
    method: "GET",
    path: `/v1/teams/${TEAM_ID}/projects/prj_missing00000000000000`,
    resource: { type: "projects", id: "prj_missing00000000000000" },
    status: 404,
  },
];

/** `make(i)`: the i-th request event's draft, as services.audit builds it for a served request. */
export function draftMaker(audit, tokenIds) {
  const contexts = [];
  for (const r of ROUTES)
    for (let u = 0; u < USER_AGENTS.length; u++)
      contexts.push({
        route: r,
        context: { ip: IPS[u % IPS.length], userAgent: USER_AGENTS[u], origin: u === 1 ? "cli" : "api", method: r.method, path: r.path },
      });
  return (i) => {
    const { route, context } = contexts[(i * 7) % contexts.length];
    return audit.requestDraft({
      tokenId: tokenIds[i % tokenIds.length],
      entityType: "team",
      entityId: TEAM_ID,
      email: null,
      context,
      status: route.status,
      durationMs: 0.4 + (i % 13) * 0.7,
      resource: route.resource,
    });
  };
}

/**
 * As the server does per request: reserve a place, build the draft, record it (a batch is written when 500 are
 * queued, and by the buffer's 250 ms timer). Between bursts of 500 the event loop turns, so that the writer's I/O
 * (PostgreSQL) interleaves with the producer as it would with requests; when the buffer is full (where a server would
 * answer 503) the producer waits for the writer instead. Stops at `n` events or at `deadline`.
 */
export async function produce(buffer, make, n, deadline = Infinity) {
  let produced = 0;
  let fullWaits = 0;
  while (produced < n) {
    if (!buffer.reserve()) {
      fullWaits++;
      await buffer.flush();
      continue;
    }
    buffer.record(make(produced));
    produced++;
    if (produced % 500 === 0) {
      await tick();
      if (nowMs() > deadline) break;
    }
  }
  return { produced, fullWaits };
}

/**
 * One dialect's timed rounds on a fresh server at `databaseUrl`, each of `events` events on feeds of its own; then the
 * stored count and every feed's chain are checked. Returns { result, services, app } with the app still open.
 */
export async function eventsRun({ dialect, databaseUrl, dataDir, events, rounds, timeCapSeconds }) {
  // Events are produced directly, no HTTP served: the seeding requests' log lines would only clutter the report.
  const { app, services } = await openServer({ databaseUrl, dataDir, logLevel: "warn" });
  const { verifyFeed } = await serverModule("audit/verify.js");
  const { auditOf } = await serverModule("audit/repository.js");
  const { audit, store } = services;
  const log = auditOf(store);
  const { buffer } = audit;
  try {
    const newToken = () => `tok_${randomBytes(12).toString("base64url")}`;
    const warm = Array.from({ length: 3 }, newToken);

    // Warm-up on other feeds (JIT, statement cache, the pool), not counted.
    await produce(buffer, draftMaker(audit, warm), dialect === "sqlite" ? 10_000 : 3_000);
    await buffer.flush();

    const feeds = [];
    const perRound = [];
    for (let round = 0; round < rounds; round++) {
      const tokenIds = Array.from({ length: FEEDS }, newToken);
      feeds.push(...tokenIds.map((t) => `token:${t}`));
      const make = draftMaker(audit, tokenIds);
      const cpu0 = cpuNow();
      const t0 = nowMs();
      const { produced, fullWaits } = await produce(buffer, make, events, t0 + timeCapSeconds * 1000);
      await buffer.flush();
      const seconds = (nowMs() - t0) / 1000;
      const cpuSeconds = (cpuNow() - cpu0) / 1e6;
      if (buffer.pending() !== 0 || buffer.failing()) throw new Error(`${dialect}: the buffer did not drain (pending ${buffer.pending()})`);
      perRound.push({
        events: produced,
        seconds: +seconds.toFixed(3),
        eventsPerSec: Math.round(produced / seconds),
        eventsPerCpuSec: Math.round(produced / cpuSeconds),
        benchProcessCpuShare: +(cpuSeconds / seconds).toFixed(2),
        bufferFullWaits: fullWaits,
      });
      await tick();
    }
    const produced = perRound.reduce((n, r) => n + r.events, 0);

    // Checks: the stored count, and every feed's chain recomputed from the store.
    const stored = await log.requestsStored(feeds);
    const v0 = nowMs();
    let checked = 0;
    let chainOk = true;
    let firstBroken;
    for (const feed of feeds) {
      const r = await verifyFeed(log, feed);
      checked += r.checked;
      if (!r.ok) {
        chainOk = false;
        firstBroken ??= r.firstBrokenId;
      }
    }
    const verifySeconds = (nowMs() - v0) / 1000;
    const verified = stored === produced && checked === produced && chainOk;
    return {
      result: {
        dialect,
        name: `request events into ${dialect === "sqlite" ? "SQLite" : "PostgreSQL"} through the audit buffer`,
        requestedPerRound: events,
        events: produced,
        stoppedAtTimeCap: perRound.some((r) => r.events < events),
        feedsPerRound: FEEDS,
        rounds: perRound,
        stored,
        chain: {
          ok: chainOk,
          checked,
          ...(firstBroken ? { firstBroken } : {}),
          verifySeconds: +verifySeconds.toFixed(2),
          verifiedPerSec: Math.round(checked / verifySeconds),
        },
        verified,
        failedCheck: verified
          ? undefined
          : `stored ${stored}, chain-checked ${checked} of ${produced} events${chainOk ? "" : `, chain broken at ${firstBroken}`}`,
        method:
          `${rounds} rounds of ${events} requestDraft() events, each round on ${FEEDS} token feeds of its own (the table grows from round to round): reserve + record on services.audit.buffer (batches of 500 ` +
          `-> store.transaction(tx => auditOf(tx).append(batch))), event loop turned every 500, then flush; after a warm-up on other feeds; ` +
          `time cap ${timeCapSeconds} s per round; a round's value = events / wall seconds from its first record to the end of its last flush; ` +
          `afterwards every event counted and every feed's chain verified` +
          (dialect === "postgres" ? "; eventsPerCpuSec counts this process only (not the PostgreSQL server)" : ""),
      },
      services,
      app,
    };
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
}

/**
 * The PostgreSQL run on a fresh database, dropped afterwards; `profile(services)` (if given) runs before the server
 * closes. Returns { result, profile }, or { skipped } when PostgreSQL cannot be reached.
 */
export async function postgresEvents({ events, rounds, timeCapSeconds, profile }) {
  const name = `latchkey_bench_audit_${randomBytes(5).toString("hex")}`;
  try {
    await pgAdmin(`create database ${name}`);
  } catch (error) {
    return { skipped: `PostgreSQL at ${POSTGRES_ADMIN_URL.replace(/\/\/[^@]*@/, "//")} unavailable: ${error.message}` };
  }
  const dataDir = mkdtempSync(join(os.tmpdir(), "latchkey-bench-audit-pg-"));
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  try {
    const { result, services, app } = await eventsRun({
      dialect: "postgres",
      databaseUrl: url.toString(),
      dataDir,
      events,
      rounds,
      timeCapSeconds,
    });
    try {
      return { result, profile: profile ? await profile(services) : undefined };
    } finally {
      await app.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    await pgAdmin(`drop database if exists ${name} with (force)`).catch((e) =>
      process.stderr.write(`could not drop ${name}: ${e.message}\n`),
    );
  }
}

/** One dialect's rounds and checks, as printed (the verdict is printed with the record). */
export function printEvents(r) {
  const rates = r.rounds.map((x) => fmt(x.eventsPerSec)).join(", ");
  process.stdout.write(
    `\n${r.name}\n` +
      `  ${fmt(r.events)} events in ${r.rounds.length} rounds${r.stoppedAtTimeCap ? " (some stopped at the time cap)" : ""}: ${rates} events/s\n` +
      `  stored ${fmt(r.stored)}, chains ${r.chain.ok ? "verify" : `BROKEN at ${r.chain.firstBroken}`} (${fmt(r.chain.checked)} checked, ${fmt(r.chain.verifiedPerSec)}/s), ` +
      `buffer-full waits ${r.rounds.reduce((n, x) => n + x.bufferFullWaits, 0)}${r.verified ? "" : "  CHECK FAILED"}\n`,
  );
}
