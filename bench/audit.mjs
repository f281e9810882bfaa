// Audit log (issue 4, "Benchmark"):
//   (1) sustained request events per second into the store, end to end through the audit buffer, on SQLite (goal
//       >= 50,000 events/s) and PostgreSQL (reported, no goal); afterwards the stored count must equal what was
//       recorded and every feed's hash chain must verify;
//   (2) HTTP throughput of authenticated `GET /v1/projects` (Bearer API token) on a server with request auditing on,
//       against the same server built with `auditRequests: false`, same run (goal: ratio >= 0.85), with no non-2xx
//       reply (a 503 AUDIT_UNAVAILABLE would mean the buffer was full) and every served request in the audit log.
// Writes bench/results/audit.json and prints a summary. 127.0.0.1 only; bounded to about two minutes.
// This file: the settings, the order of the parts (audit-events, audit-profile, audit-http .mjs) and the result file.
//   node bench/audit.mjs                 # exit 1 only when it cannot measure or a check fails (count, chain, non-2xx)
//   node bench/audit.mjs --check         # also exit 1 when a goal is missed
//   node bench/audit.mjs --profile       # profile the event path on both dialects (SQLite: done anyway when its goal is missed)
//   node bench/audit.mjs --cpu-prof      # also write V8 CPU profiles of both HTTP servers to a temp dir
//   node bench/audit.mjs --no-postgres   # without PostgreSQL (--no-http: without the HTTP comparison)
//   node bench/audit.mjs --separate      # the two HTTP servers in two processes instead of one
//   BENCH_AUDIT_SQLITE_EVENTS=200000 BENCH_AUDIT_PG_EVENTS=50000 BENCH_AUDIT_EVENT_SECONDS=12 \
//   BENCH_AUDIT_HTTP_SECONDS=2 BENCH_AUDIT_HTTP_ROUNDS=16 BENCH_AUDIT_CONNECTIONS=10 \
//   LATCHKEY_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres node bench/audit.mjs
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import process from "node:process";
import { eventsRun, GOAL_SQLITE_EVENTS_PER_SEC, nowMs, postgresEvents, printEvents } from "./audit-events.mjs";
import { GOAL_HTTP_RATIO, httpCompare, printHttp, serve } from "./audit-http.mjs";
import { piecesSqlite, printProfile, profileEvents } from "./audit-profile.mjs";
import { ensureBuilt, printHeader, writeResult } from "./lib.mjs";

const num = (name, fallback) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};
const SQLITE_EVENTS = num("BENCH_AUDIT_SQLITE_EVENTS", 200_000);
const PG_EVENTS = num("BENCH_AUDIT_PG_EVENTS", 50_000);
/** Each dialect's timed run stops producing after this long, whatever was asked (the count check uses what was made). */
const EVENT_SECONDS = num("BENCH_AUDIT_EVENT_SECONDS", 12);
const HTTP_SECONDS = num("BENCH_AUDIT_HTTP_SECONDS", 2);
const HTTP_ROUNDS = num("BENCH_AUDIT_HTTP_ROUNDS", 16); // each round: one run per server, order alternating (ABBA); many short rounds average out this machine's drift
const CONNECTIONS = num("BENCH_AUDIT_CONNECTIONS", 10);
const PROFILE = process.argv.includes("--profile");
const out = (s) => process.stdout.write(s);

async function main() {
  const started = nowMs();
  ensureBuilt();
  printHeader("Latchkey audit benchmark");
  const results = [];
  const extra = {};

  // (1) SQLite.
  const dir = mkdtempSync(join(os.tmpdir(), "latchkey-bench-audit-sqlite-"));
  try {
    const { result, services, app } = await eventsRun({
      dialect: "sqlite",
      databaseUrl: `sqlite:${join(dir, "latchkey.db")}`,
      dataDir: dir,
      events: SQLITE_EVENTS,
      timeCapSeconds: EVENT_SECONDS,
    });
    results.push(result);
    printEvents(result, EVENT_SECONDS);
    try {
      if (!result.pass || PROFILE) {
        extra.sqliteProfile = await profileEvents(services, 20_000);
        extra.sqlitePieces = await piecesSqlite(services, dir);
        printProfile(extra.sqliteProfile, extra.sqlitePieces);
      }
    } finally {
      await app.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // (1) PostgreSQL.
  if (!process.argv.includes("--no-postgres")) {
    const pg = await postgresEvents({
      events: PG_EVENTS,
      timeCapSeconds: EVENT_SECONDS,
      profile: PROFILE ? (services) => profileEvents(services, 10_000) : undefined,
    });
    if (pg.skipped) {
      extra.postgresSkipped = pg.skipped;
      out(`\nPostgreSQL: skipped (${pg.skipped})\n`);
    } else {
      results.push(pg.result);
      printEvents(pg.result, EVENT_SECONDS);
      if (pg.profile) {
        extra.postgresProfile = pg.profile;
        printProfile(pg.profile);
      }
    }
  }

  // (2) HTTP.
  if (process.argv.includes("--no-http")) {
    writeResult("audit", {
      goals: { sqliteEventsPerSec: GOAL_SQLITE_EVENTS_PER_SEC, httpRatio: GOAL_HTTP_RATIO },
      partial: "--no-http",
      results,
      ...extra,
    });
    if (results.some((r) => !r.verified)) process.exitCode = 1;
    return;
  }
  out(
    `\nHTTP: ${CONNECTIONS} connections, ${HTTP_ROUNDS} rounds of ${HTTP_SECONDS} s per server, alternating, after 2 s warm-up each, ` +
      `${process.argv.includes("--separate") ? "a process per server" : "both servers in one process"}\n`,
  );
  const http = await httpCompare({
    seconds: HTTP_SECONDS,
    rounds: HTTP_ROUNDS,
    connections: CONNECTIONS,
    cpuProfile: process.argv.includes("--cpu-prof"),
    separate: process.argv.includes("--separate"),
  });
  results.push(http);
  printHttp(http);

  // A failed check (count, chain, a non-2xx, a request without its event) is a broken measurement, not a slow one.
  const failed = results.some((r) => !r.verified);
  const seconds = +((nowMs() - started) / 1000).toFixed(1);
  const file = writeResult("audit", {
    goals: { sqliteEventsPerSec: GOAL_SQLITE_EVENTS_PER_SEC, httpRatio: GOAL_HTTP_RATIO },
    summary: {
      sqliteEventsPerSec: results.find((r) => r.dialect === "sqlite")?.eventsPerSec ?? null,
      postgresEventsPerSec: results.find((r) => r.dialect === "postgres")?.eventsPerSec ?? null,
      httpRatio: http.ratio,
      httpNon2xx: http.non2xx,
    },
    benchmarkSeconds: seconds,
    results,
    ...extra,
  });
  out(`\n${results.map((r) => `${r.pass ? "PASS" : "FAIL"}  ${r.name}`).join("\n")}\n\nwrote ${file} (${seconds} s)\n`);
  if (failed) process.exitCode = 1;
  else if (process.argv.includes("--check") && !results.every((r) => r.pass)) process.exitCode = 1;
}

// ---------------------------------------------------------------------------------------------------------------
// The child processes of the HTTP comparison run this file with `--serve on off`, `--serve on` or `--serve off` (bench/audit-http.mjs).
if (process.argv[2] === "--serve") await serve(process.argv.slice(3));
else await main();
