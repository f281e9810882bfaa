// Audit benchmark: where the event path spends its time (bench/audit.mjs --profile, or when the SQLite goal is
// missed): a CPU profile of a shorter run, sorted into categories, and each piece of one event's way alone.
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import process from "node:process";
import { draftMaker, FEEDS, GOAL_SQLITE_EVENTS_PER_SEC, nowMs, produce } from "./audit-events.mjs";
import { ROOT, serverModule } from "./lib.mjs";
import { cpuNow, fmt } from "./timing.mjs";

// A frame of native code (no script: better-sqlite3's Statement#run, V8 builtins) counts where its nearest caller with
// a script is, so that SQLite's own work shows as SQLite and not as "other".
const SQLITE_CALLERS = /better-sqlite3|kysely\/dist\/esm\/dialect\/sqlite|\/dist\/store\/dialects\/sqlite\.js/;
const CATEGORIES = [
  [
    "SQLite: native statement execution (run/all: binding, B-tree inserts, commit, WAL checkpoint)",
    (f, native) => native && SQLITE_CALLERS.test(f.url),
  ],
  ["SQLite driver JS (better-sqlite3 wrappers, Kysely's driver, the dialect's bulkInsert)", (f) => SQLITE_CALLERS.test(f.url)],
  ["PostgreSQL driver (pg)", (f) => /node_modules\/pg(-[a-z]+)?\//.test(f.url)],
  ["Kysely: building and compiling queries", (f) => f.url.includes("/kysely/")],
  [
    "hash chain and segments: chainSegments() (each event's JSON, its SHA-256, the segment's text)",
    (f) => /\/dist\/audit\/(chain|segments)\.js/.test(f.url) || f.url.startsWith("node:internal/crypto/hash"),
  ],
  ["event ids (randomBytes)", (f) => f.url.startsWith("node:internal/crypto/random") || f.url.includes("/dist/lib/secrets.js")],
  ["requestDraft() object building", (f) => f.url.includes("/dist/audit/service.js")],
  ["audit repository append(), buffer, store", (f) => /\/dist\/(store|audit)\//.test(f.url)],
  ["garbage collection", (f) => f.functionName === "(garbage collector)"],
  ["this benchmark's producer", (f) => /\/bench\/audit(-[a-z]+)?\.mjs$/.test(f.url)],
];

function summariseProfile(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n);
  const selfUs = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
    total += dt;
  });
  const cats = new Map();
  const fns = new Map();
  let idle = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    const f = node.callFrame;
    const native = !f.url && !f.functionName.startsWith("(");
    let caller = node;
    while (caller && !caller.callFrame.url) caller = parentOf.get(caller.id);
    if (f.functionName === "(idle)" || (native && caller?.callFrame.url === "node:inspector")) {
      idle += us; // waiting, or the profiler itself
      continue;
    }
    const where = { functionName: f.functionName, url: native ? (caller?.callFrame.url ?? "") : f.url };
    const cat = CATEGORIES.find(([, test]) => test(where, native))?.[0] ?? "other (V8, Node internals, promises, timers)";
    cats.set(cat, (cats.get(cat) ?? 0) + us);
    const short = (url) => url.replace(/^.*\/node_modules\//, "").replace(/^.*\/packages\//, "");
    const key = native
      ? `${f.functionName} (native, from ${caller ? `${caller.callFrame.functionName || "(anonymous)"} ${short(caller.callFrame.url)}` : "?"})`
      : `${f.functionName || "(anonymous)"} ${f.url ? `${short(f.url)}:${f.lineNumber + 1}` : ""}`.trim();
    fns.set(key, (fns.get(key) ?? 0) + us);
  }
  const busy = total - idle;
  const share = (m) =>
    [...m].sort((a, b) => b[1] - a[1]).map(([k, us]) => ({ what: k, percent: +((us / busy) * 100).toFixed(1), ms: Math.round(us / 1000) }));
  return {
    busyMs: Math.round(busy / 1000),
    idleOrProfilerMs: Math.round(idle / 1000),
    categories: share(cats),
    topFunctions: share(fns).slice(0, 12),
  };
}

/** A CPU profile (sampled in this process) of `events` more events through the buffer, summarised. */
export async function profileEvents(services, events) {
  const { audit } = services;
  const make = draftMaker(
    audit,
    Array.from({ length: FEEDS }, () => `tok_${randomBytes(12).toString("base64url")}`),
  );
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 250 });
  await session.post("Profiler.start");
  const t0 = nowMs();
  await produce(audit.buffer, make, events);
  await audit.buffer.flush();
  const ms = nowMs() - t0;
  const { profile } = await session.post("Profiler.stop");
  session.disconnect();
  return { events, eventsPerSecUnderProfiler: Math.round(events / (ms / 1000)), ...summariseProfile(profile) };
}

/** Microseconds per call of `fn(i)`, best of 3 passes of `n` (on the same data as the run). */
function usPer(fn, n) {
  let best = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    const t0 = nowMs();
    for (let i = 0; i < n; i++) fn(i);
    best = Math.min(best, ((nowMs() - t0) * 1000) / n);
  }
  return +best.toFixed(2);
}

/** Microseconds per item of `run(setup())`, best of 3 passes of `n` items; `setup` is not timed. */
function usPerBatch(setup, run, n) {
  let best = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    const input = setup();
    const t0 = nowMs();
    run(input);
    best = Math.min(best, ((nowMs() - t0) * 1000) / n);
  }
  return +best.toFixed(2);
}

/**
 * Each piece of one event's way alone, in µs per event; and SQLite's floor: the same rows made into segments (one per
 * transaction of 500) and inserted with one prepared statement (no Kysely), into a copy of the schema (same pragmas as the server), with
 * and without the secondary indexes, alternating, best of two.
 */
export async function piecesSqlite(services, dataDir) {
  const { audit, store } = services;
  const { chainSegments } = await serverModule("audit/segments.js");
  const n = 20_000;
  const make = draftMaker(audit, ["tok_piecesAAAAAAAAAAAAAAAA"]);
  const drafts = () => Array.from({ length: n }, (_, i) => make(i));
  /** One segment per 500 events, as a busy server's write batches are. chainSegments() takes over its drafts. */
  const segmentsOf = (batch, seq) => chainSegments(batch, { seq, hash: "" }).segments;
  const segments = [];
  const rows = drafts();
  for (let i = 0; i < n; i += 500) segments.push(...segmentsOf(rows.slice(i, i + 500), i));
  const { kysely } = store.db;
  const pieces = {
    "requestDraft() (id, timestamp, the object)": usPer(make, n),
    "chainSegments(): per event, in batches of 500 (JSON, SHA-256, the segment's text)": usPerBatch(
      drafts, // fresh drafts each pass, untimed
      (copies) => {
        for (let i = 0; i < copies.length; i += 500) segmentsOf(copies.slice(i, i + 500), i);
      },
      n,
    ),
    "Kysely insertInto(audit_segments).values(segment of 500).compile(): per event (PostgreSQL's path)": usPer(
      (i) =>
        i % 500 === 0 &&
        kysely
          .insertInto("audit_segments")
          .values(segments[i / 500])
          .compile(),
      n,
    ),
  };

  const require = createRequire(join(ROOT, "packages", "server", "package.json"));
  const SQLite = require("better-sqlite3");
  const ddl = (
    await kysely.selectFrom("sqlite_master").select(["name", "type", "sql"]).where("tbl_name", "=", "audit_segments").execute()
  ).filter((r) => r.sql);
  const indexes = ddl.filter((r) => r.type === "index").map((r) => r.name);
  const columns = Object.keys(segments[0]);
  const floor = (withIndexes) => {
    const file = join(dataDir, `floor-${withIndexes ? "all" : "min"}.db`);
    const db = new SQLite(file);
    try {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      for (const r of ddl) if (r.type === "table" || withIndexes) db.exec(r.sql);
      const insert = db.prepare(`insert into audit_segments (${columns.join(", ")}) values (${columns.map(() => "?").join(", ")})`);
      const write = db.transaction((batch, seq) => {
        for (const r of segmentsOf(batch, seq)) insert.run(columns.map((c) => r[c]));
      });
      const fresh = drafts();
      const t0 = nowMs();
      const c0 = cpuNow();
      for (let i = 0; i < fresh.length; i += 500) write(fresh.slice(i, i + 500), i);
      return { wall: ((nowMs() - t0) * 1000) / fresh.length, cpu: (cpuNow() - c0) / fresh.length };
    } finally {
      db.close();
      for (const suffix of ["", "-wal", "-shm"]) rmSync(`${file}${suffix}`, { force: true });
    }
  };
  const best = { all: [], min: [] };
  for (let pass = 0; pass < 2; pass++) {
    best.all.push(floor(true));
    best.min.push(floor(false));
  }
  const pick = (xs) => xs.reduce((a, b) => (b.wall < a.wall ? b : a));
  const [all, min] = [pick(best.all), pick(best.min)];
  pieces[`SQLite floor: chainSegments() and the insert, schema as is (PK, ${indexes.join(", ")}): wall`] = +all.wall.toFixed(2);
  pieces["SQLite floor, schema as is: CPU"] = +all.cpu.toFixed(2);
  pieces["SQLite floor without the secondary indexes (PK only): wall"] = +min.wall.toFixed(2);
  pieces["SQLite floor without the secondary indexes: CPU"] = +min.cpu.toFixed(2);
  return { usPerEvent: pieces, budgetUsPerEventForGoal: +(1e6 / GOAL_SQLITE_EVENTS_PER_SEC).toFixed(1), indexes };
}

/** A profile (and the pieces, when measured), as printed. */
export function printProfile(p, pieces) {
  process.stdout.write(
    `\n  where this process spends its time (profile of ${fmt(p.events)} more events, ${fmt(p.eventsPerSecUnderProfiler)}/s under the profiler; ` +
      `${fmt(p.busyMs)} ms busy, ${fmt(p.idleOrProfilerMs)} ms idle or profiler):\n`,
  );
  for (const c of p.categories) process.stdout.write(`    ${c.percent.toFixed(1).padStart(5)}%  ${c.what}\n`);
  process.stdout.write("  top functions (self time):\n");
  for (const c of p.topFunctions.slice(0, 6)) process.stdout.write(`    ${c.percent.toFixed(1).padStart(5)}%  ${c.what}\n`);
  if (!pieces) return;
  process.stdout.write(`  each piece alone, µs per event (goal budget ${pieces.budgetUsPerEventForGoal} µs/event):\n`);
  for (const [k, v] of Object.entries(pieces.usPerEvent)) process.stdout.write(`    ${String(v).padStart(7)}  ${k}\n`);
}
