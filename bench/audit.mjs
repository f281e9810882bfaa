// Audit log (issue 4, "Benchmark"):
//   (1) sustained request events per second into the store, end to end through the audit buffer, in rounds, on SQLite
//       (goal: median >= 50,000 events/s) and PostgreSQL (reported, no goal); afterwards the stored count must equal
//       what was recorded and every feed's hash chain must verify;
//   (2) HTTP throughput of authenticated `GET /v1/projects` (Bearer API token) on a server with request auditing on,
//       against the same server built with `auditRequests: false`, same run (goal: median of the per-round ratios >= 0.85;
//       auditing only adds work, so above 1 is noise), with no non-2xx reply (a 503 AUDIT_UNAVAILABLE would mean the
//       buffer was full) and every served request in the audit log;
//   (3) from the same runs (issue 17): server CPU per request, auditing on with each reply waiting for its event's
//       commit (LATCHKEY_AUDIT_DURABILITY=commit, the default) against off (goal: median of the per-round ratios
//       off/on >= 0.85), with p50/p99 latency of both and the sizes of the group commits.
// Writes bench/results/audit-events-sqlite.json, audit-events-postgres.json, audit-http.json and audit-commit-cpu.json
// (audit-buffered-cpu.json with LATCHKEY_AUDIT_DURABILITY=buffered). 127.0.0.1 only.
// This file: the settings, the order of the parts (audit-events, audit-profile, audit-http .mjs) and the records.
//   node bench/audit.mjs                 # exit 1 only when it cannot measure or a check fails (count, chain, non-2xx)
//   node bench/audit.mjs --check         # also exit 1 when a goal is missed
//   node bench/audit.mjs --quick         # 2 short rounds each, records to a temp dir (BENCH_RESULTS_DIR), not bench/results
//   node bench/audit.mjs --profile       # profile the event path on both dialects (SQLite: done anyway when its goal is missed)
//   node bench/audit.mjs --cpu-prof      # also write V8 CPU profiles of both HTTP servers to a temp dir
//   node bench/audit.mjs --no-postgres   # without PostgreSQL (--no-http: without the HTTP comparison)
//   node bench/audit.mjs --only-http     # only the HTTP comparison (2) and its CPU record (3)
//   node bench/audit.mjs --separate      # the two HTTP servers in two processes instead of one
//   BENCH_AUDIT_SQLITE_EVENTS=100000 BENCH_AUDIT_PG_EVENTS=25000 BENCH_AUDIT_EVENT_ROUNDS=5 BENCH_AUDIT_EVENT_SECONDS=12 \
//   LATCHKEY_AUDIT_DURABILITY=buffered node bench/audit.mjs --no-postgres   # the HTTP part against the buffered mode
//   BENCH_AUDIT_HTTP_SECONDS=2 BENCH_AUDIT_HTTP_ROUNDS=16 BENCH_AUDIT_CONNECTIONS=10 \
//   LATCHKEY_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres node bench/audit.mjs
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import process from "node:process";
import { eventsRun, GOAL_SQLITE_EVENTS_PER_SEC, nowMs, postgresEvents, printEvents } from "./audit-events.mjs";
import { GOAL_HTTP_RATIO, httpCompare, printHttp, serve } from "./audit-http.mjs";
import { piecesSqlite, printProfile, profileEvents } from "./audit-profile.mjs";
import { ensureBuilt, printHeader, QUICK, roundCount, writeResult } from "./lib.mjs";

const num = (name, fallback) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};
/** Events per round. */
const SQLITE_EVENTS = num("BENCH_AUDIT_SQLITE_EVENTS", QUICK ? 10_000 : 100_000);
const PG_EVENTS = num("BENCH_AUDIT_PG_EVENTS", QUICK ? 5_000 : 25_000);
const EVENT_ROUNDS = num("BENCH_AUDIT_EVENT_ROUNDS", roundCount(5, 2));
/** Each round stops producing after this long, whatever was asked (the count check uses what was made). */
const EVENT_SECONDS = num("BENCH_AUDIT_EVENT_SECONDS", 12);
const HTTP_SECONDS = num("BENCH_AUDIT_HTTP_SECONDS", QUICK ? 1 : 2);
const HTTP_ROUNDS = num("BENCH_AUDIT_HTTP_ROUNDS", roundCount(16, 2)); // each round: one run per server, order alternating (ABBA); many short rounds average out this machine's drift
const CONNECTIONS = num("BENCH_AUDIT_CONNECTIONS", 10);
const PROFILE = process.argv.includes("--profile");
const out = (s) => process.stdout.write(s);

/** The record of one dialect's event rounds. */
function eventsRecord(result, extra) {
  const sqlite = result.dialect === "sqlite";
  return writeResult({
    benchmark: `audit-events-${result.dialect}`,
    label: `request events into ${sqlite ? "SQLite" : "PostgreSQL"} through the audit buffer (requestDraft, batches of 500, hash chains), events/s, no HTTP`,
    unit: "events/s",
    rounds: result.rounds.map((r) => r.eventsPerSec),
    goal: sqlite ? { op: ">=", value: GOAL_SQLITE_EVENTS_PER_SEC } : null, // issue 4 set a rate for SQLite only
    failedCheck: result.failedCheck,
    method: result.method,
    details: { ...result, ...extra },
  });
}

async function main() {
  const started = nowMs();
  ensureBuilt();
  printHeader("Latchkey audit benchmark");
  const records = [];

  // (1) SQLite.
  if (process.argv.includes("--only-http")) return httpParts(records, started);
  const dir = mkdtempSync(join(os.tmpdir(), "latchkey-bench-audit-sqlite-"));
  try {
    const { result, services, app } = await eventsRun({
      dialect: "sqlite",
      databaseUrl: `sqlite:${join(dir, "latchkey.db")}`,
      dataDir: dir,
      events: SQLITE_EVENTS,
      rounds: EVENT_ROUNDS,
      timeCapSeconds: EVENT_SECONDS,
    });
    printEvents(result);
    const extra = {};
    try {
      const rates = result.rounds.map((r) => r.eventsPerSec).sort((a, b) => a - b);
      if (rates[rates.length >> 1] < GOAL_SQLITE_EVENTS_PER_SEC || PROFILE) {
        extra.profile = await profileEvents(services, 20_000);
        extra.pieces = await piecesSqlite(services, dir);
        printProfile(extra.profile, extra.pieces);
      }
    } finally {
      await app.close();
    }
    records.push(eventsRecord(result, extra));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // (1) PostgreSQL.
  if (!process.argv.includes("--no-postgres")) {
    const pg = await postgresEvents({
      events: PG_EVENTS,
      rounds: EVENT_ROUNDS,
      timeCapSeconds: EVENT_SECONDS,
      profile: PROFILE ? (services) => profileEvents(services, 10_000) : undefined,
    });
    if (pg.skipped) {
      out(`\nPostgreSQL: skipped (${pg.skipped}); its record stays as it was\n`);
    } else {
      printEvents(pg.result);
      if (pg.profile) printProfile(pg.profile);
      records.push(eventsRecord(pg.result, pg.profile ? { profile: pg.profile } : {}));
    }
  }

  return httpParts(records, started);
}

/** Part (2) and (3), then the exit code. */
async function httpParts(records, started) {
  // (2) HTTP.
  if (!process.argv.includes("--no-http")) {
    out(
      `\nHTTP: ${CONNECTIONS} connections, ${HTTP_ROUNDS} rounds of ${HTTP_SECONDS} s per server, alternating, after ${QUICK ? 1 : 2} s warm-up each, ` +
        `${process.argv.includes("--separate") ? "a process per server" : "both servers in one process"}\n`,
    );
    const http = await httpCompare({
      seconds: HTTP_SECONDS,
      rounds: HTTP_ROUNDS,
      connections: CONNECTIONS,
      warmupSeconds: QUICK ? 1 : 2,
      cpuProfile: process.argv.includes("--cpu-prof"),
      separate: process.argv.includes("--separate"),
    });
    printHttp(http);
    records.push(
      writeResult({
        benchmark: "audit-http",
        label: `HTTP, authenticated GET /v1/projects with request auditing on vs the same server with auditRequests: false, req/s, autocannon ${CONNECTIONS} connections`,
        unit: "ratio",
        rounds: http.pairRatios,
        goal: { op: ">=", value: GOAL_HTTP_RATIO },
        boundedByOne: true, // the audited server does everything the other does, and writes the event
        failedCheck: http.failedCheck,
        method: http.method,
        details: http,
      }),
    );
    // The issue-17 goal: what auditing costs the server per request, with each reply waiting for its event's commit.
    const durability = process.env.LATCHKEY_AUDIT_DURABILITY ?? "commit";
    records.push(
      writeResult({
        benchmark: `audit-${durability}-cpu`,
        label: `server CPU per request, authenticated GET /v1/projects, request auditing on (LATCHKEY_AUDIT_DURABILITY=${durability}) vs off, off/on per round, autocannon ${CONNECTIONS} connections`,
        unit: "ratio",
        rounds: http.cpuPairRatios,
        goal: { op: ">=", value: GOAL_HTTP_RATIO },
        boundedByOne: true,
        failedCheck: http.failedCheck,
        method: `${http.method}; a round's value = server CPU µs per request off / on, from process.cpuUsage() of the server process around each run`,
        details: {
          candidate: http.candidate,
          baseline: http.baseline,
          reqPerSecRatios: http.pairRatios,
          groups: http.audit.groups ?? null,
          meanGroupSize: http.audit.meanGroupSize,
          meanGroupWriteMs: http.audit.meanGroupWriteMs,
        },
      }),
    );
  }

  // A failed check (count, chain, a non-2xx, a request without its event) is a broken measurement, not a slow one.
  out(`\n(${((nowMs() - started) / 1000).toFixed(1)} s)\n`);
  if (records.some((r) => r.failedCheck)) process.exitCode = 1;
  else if (process.argv.includes("--check") && records.some((r) => r.verdict === "fail")) process.exitCode = 1;
}

// ---------------------------------------------------------------------------------------------------------------
// The child processes of the HTTP comparison run this file with `--serve on off`, `--serve on` or `--serve off` (bench/audit-http.mjs).
if (process.argv[2] === "--serve") await serve(process.argv.slice(3));
else await main();
