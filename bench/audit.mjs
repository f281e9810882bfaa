// Audit log (issue 4, "Benchmark"):
//   (1) sustained request events per second into the store, end to end through the audit buffer, on SQLite (goal
//       >= 50,000 events/s) and PostgreSQL (reported, no goal); afterwards the stored count must equal what was
//       recorded and every feed's hash chain must verify;
//   (2) HTTP throughput of authenticated `GET /v1/projects` (Bearer API token) on a server with request auditing on,
//       against the same server built with `auditRequests: false`, same run (goal: ratio >= 0.85), with no non-2xx
//       reply (a 503 AUDIT_UNAVAILABLE would mean the buffer was full) and every served request in the audit log.
// Writes bench/results/audit.json and prints a summary. 127.0.0.1 only; bounded to about 90 s.
//   node bench/audit.mjs                 # exit 1 only when it cannot measure or a check fails (count, chain, non-2xx)
//   node bench/audit.mjs --check         # also exit 1 when a goal is missed
//   node bench/audit.mjs --profile       # profile the event path on both dialects (SQLite: done anyway when its goal is missed)
//   node bench/audit.mjs --cpu-prof      # also write V8 CPU profiles of both HTTP servers to a temp dir
//   node bench/audit.mjs --no-postgres   # without PostgreSQL (--no-http: without the HTTP comparison)
//   BENCH_AUDIT_SQLITE_EVENTS=200000 BENCH_AUDIT_PG_EVENTS=50000 BENCH_AUDIT_EVENT_SECONDS=12 \
//   BENCH_AUDIT_HTTP_SECONDS=3 BENCH_AUDIT_HTTP_ROUNDS=4 BENCH_AUDIT_CONNECTIONS=10 \
//   LATCHKEY_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres node bench/audit.mjs
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { createRequire } from "node:module";
import os from "node:os";
import { join } from "node:path";
import process from "node:process";
import { clearTimeout, setImmediate, setTimeout } from "node:timers";
import { fileURLToPath } from "node:url";
import { ensureBuilt, OWNER_EMAIL, OWNER_PASSWORD, printHeader, ROOT, serverModule, TEAM_ID, writeResult } from "./lib.mjs";

const SELF = fileURLToPath(import.meta.url);
const { fetch } = globalThis; // Node >= 18

const num = (name, fallback) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};
const SQLITE_EVENTS = num("BENCH_AUDIT_SQLITE_EVENTS", 200_000);
const PG_EVENTS = num("BENCH_AUDIT_PG_EVENTS", 50_000);
/** Each dialect's timed run stops producing after this long, whatever was asked (the count check uses what was made). */
const EVENT_SECONDS = num("BENCH_AUDIT_EVENT_SECONDS", 12);
const HTTP_SECONDS = num("BENCH_AUDIT_HTTP_SECONDS", 3);
const HTTP_ROUNDS = num("BENCH_AUDIT_HTTP_ROUNDS", 4); // each round: one run per server, order alternating (ABBA)
const CONNECTIONS = num("BENCH_AUDIT_CONNECTIONS", 10);
const FEEDS = 10;
const ADMIN_URL =
  process.env.LATCHKEY_BENCH_POSTGRES_URL ?? process.env.LATCHKEY_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const GOAL_SQLITE_EVENTS_PER_SEC = 50_000;
const GOAL_HTTP_RATIO = 0.85;

const tick = () => new Promise((resolve) => setImmediate(resolve));
const nowMs = () => performance.now();
const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const fmt = (n) => Math.round(n).toLocaleString("en-US");
const out = (s) => process.stdout.write(s);

/** A server (app + services) on a fresh store; request auditing on unless told otherwise. */
async function openServer({ databaseUrl, dataDir, auditRequests = true }) {
  const { buildApp } = await serverModule("app.js");
  const { loadConfig } = await serverModule("config.js");
  const config = loadConfig({
    LATCHKEY_PORT: "0",
    LATCHKEY_HOST: "127.0.0.1",
    LATCHKEY_DATA_DIR: dataDir,
    LATCHKEY_DATABASE_URL: databaseUrl,
    LATCHKEY_MASTER_KEY: randomBytes(32).toString("base64"),
    LATCHKEY_PUBLIC_URL: "http://latchkey.bench",
    LATCHKEY_BOOTSTRAP_EMAIL: OWNER_EMAIL,
    LATCHKEY_BOOTSTRAP_PASSWORD: OWNER_PASSWORD,
    LATCHKEY_LOG_LEVEL: "silent",
  });
  return buildApp(config, { logger: false, auditRequests });
}

// ---------------------------------------------------------------------------------------------------------------
// Child: one HTTP server (auditing "on" or "off") on its own SQLite database, with the owner, team "acme", three
// projects and one API token of the team's "default" role (as bench/lib.mjs startFixture, plus `auditRequests`).
// (Dispatched at the end of this file, once every constant is defined.)
async function serve(auditRequests) {
  const dir = mkdtempSync(join(os.tmpdir(), `latchkey-bench-audit-http-${auditRequests ? "on" : "off"}-`));
  const { app, services } = await openServer({ databaseUrl: `sqlite:${join(dir, "latchkey.db")}`, dataDir: dir, auditRequests });
  const ok = async (method, url, headers, payload) => {
    const res = await app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
    if (res.statusCode !== 200) throw new Error(`${method} ${url} -> ${res.statusCode} ${res.body}`);
    return { data: JSON.parse(res.body).data, res };
  };
  await services.accounts.bootstrap();
  const signIn = await ok("POST", "/v1/session", {}, { email: OWNER_EMAIL, password: OWNER_PASSWORD });
  const cookie = signIn.res.cookies.find((c) => c.name === "latchkey_session");
  const session = { cookie: `latchkey_session=${cookie?.value ?? ""}`, "x-csrf-token": signIn.data.csrfToken };
  await ok("POST", "/v1/teams", session, { name: "Acme" });
  for (let i = 0; i < 3; i++) await ok("POST", `/v1/teams/${TEAM_ID}/projects`, session, { name: `Site ${i + 1}` });
  const created = await ok("POST", `/v1/teams/${TEAM_ID}/tokens`, session, { name: "bench", roleId: "default" });
  const { token, apiToken } = created.data;
  if (typeof token !== "string" || typeof apiToken?.id !== "string") throw new Error("no token in the reply of POST /v1/teams/acme/tokens");
  const address = await app.listen({ port: 0, host: "127.0.0.1" });
  process.on("message", async (message) => {
    if (message === "cpu") {
      process.send?.({ cpuUs: cpuUs() });
    } else if (message === "stop") {
      // Everything served must be in the token's feed once the buffer is written out.
      await services.audit.buffer.flush();
      const { kysely } = services.store.db;
      const row = await kysely
        .selectFrom("audit_events")
        .select((eb) => eb.fn.countAll().as("n"))
        .where("token_id", "=", apiToken.id)
        .where("event_type", "=", "request")
        .executeTakeFirstOrThrow();
      const head = await services.store.audit.head(`token:${apiToken.id}`);
      const audit = { requestEvents: Number(row.n), feedHeadSeq: head?.seq ?? 0, bufferFailing: services.audit.buffer.failing() };
      await app.close();
      rmSync(dir, { recursive: true, force: true });
      process.send?.({ stopped: true, audit }, () => process.exit(0));
    }
  });
  process.send?.({ address, token });
}

// ---------------------------------------------------------------------------------------------------------------
// (1) Events per second through the buffer.

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

function draftMaker(audit, tokenIds) {
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
async function produce(buffer, make, n, deadline = Infinity) {
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

/** Recomputes one feed's chain from the store (as services/audit.ts verify does): how many events, and ok. */
async function verifyFeed(store, hashEvent, feed) {
  const head = await store.audit.head(feed);
  if (!head) return { checked: 0, ok: false, firstBroken: `${feed}: no head` };
  let seq = head.anchor_seq;
  let prev = head.anchor_hash;
  let checked = 0;
  for (;;) {
    const rows = await store.audit.chunk(feed, seq, 1000);
    for (const row of rows) {
      checked++;
      const { hash, ...rest } = row;
      if (row.seq !== seq + 1 || row.prev_hash !== prev || hashEvent(rest) !== hash) return { checked, ok: false, firstBroken: row.id };
      seq = row.seq;
      prev = hash;
    }
    if (rows.length < 1000) break;
  }
  if (seq !== head.seq || prev !== head.hash) return { checked, ok: false, firstBroken: `${feed}@${seq + 1}` };
  return { checked, ok: true };
}

async function eventsRun({ dialect, databaseUrl, dataDir, events }) {
  const { app, services } = await openServer({ databaseUrl, dataDir });
  const { hashEvent } = await serverModule("audit/chain.js");
  const { audit, store } = services;
  const { buffer } = audit;
  try {
    const newToken = () => `tok_${randomBytes(12).toString("base64url")}`;
    const tokenIds = Array.from({ length: FEEDS }, newToken);
    const feeds = tokenIds.map((t) => `token:${t}`);
    const warm = Array.from({ length: 3 }, newToken);

    // Warm-up on other feeds (JIT, statement cache, the pool), not counted.
    await produce(buffer, draftMaker(audit, warm), dialect === "sqlite" ? 10_000 : 3_000);
    await buffer.flush();

    const make = draftMaker(audit, tokenIds);
    const cpu0 = cpuUs();
    const t0 = nowMs();
    const { produced, fullWaits } = await produce(buffer, make, events, t0 + EVENT_SECONDS * 1000);
    await buffer.flush();
    const seconds = (nowMs() - t0) / 1000;
    const cpuSeconds = (cpuUs() - cpu0) / 1e6;
    if (buffer.pending() !== 0 || buffer.failing()) throw new Error(`${dialect}: the buffer did not drain (pending ${buffer.pending()})`);

    // Checks: the stored count, and every feed's chain recomputed from the store.
    const row = await store.db.kysely
      .selectFrom("audit_events")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("feed", "in", feeds)
      .executeTakeFirstOrThrow();
    const stored = Number(row.n);
    const v0 = nowMs();
    let checked = 0;
    let chainOk = true;
    let firstBroken;
    for (const feed of feeds) {
      const r = await verifyFeed(store, hashEvent, feed);
      checked += r.checked;
      if (!r.ok) {
        chainOk = false;
        firstBroken ??= r.firstBroken;
      }
    }
    const verifySeconds = (nowMs() - v0) / 1000;
    const eventsPerSec = produced / seconds;
    const goal = dialect === "sqlite" ? GOAL_SQLITE_EVENTS_PER_SEC : null;
    const verified = stored === produced && checked === produced && chainOk;
    return {
      result: {
        name: `request events into ${dialect === "sqlite" ? "SQLite" : "PostgreSQL"} through the audit buffer`,
        dialect,
        requested: events,
        events: produced,
        stoppedAtTimeCap: produced < events,
        feeds: FEEDS,
        seconds: +seconds.toFixed(3),
        eventsPerSec: Math.round(eventsPerSec),
        eventsPerCpuSec: Math.round(produced / cpuSeconds),
        usPerEvent: +((seconds * 1e6) / produced).toFixed(1),
        cpuUsPerEvent: +((cpuSeconds * 1e6) / produced).toFixed(1),
        benchProcessCpuShare: +(cpuSeconds / seconds).toFixed(2),
        bufferFullWaits: fullWaits,
        stored,
        chain: {
          ok: chainOk,
          checked,
          ...(firstBroken ? { firstBroken } : {}),
          verifySeconds: +verifySeconds.toFixed(2),
          verifiedPerSec: Math.round(checked / verifySeconds),
        },
        verified,
        goal: goal === null ? null : { eventsPerSec: goal },
        pass: verified && (goal === null || eventsPerSec >= goal), // PostgreSQL has no rate goal: pass = count and chains check out
        method:
          `${produced} requestDraft() events over ${FEEDS} token feeds: reserve + record on services.audit.buffer (batches of 500 ` +
          `-> store.transaction(tx => tx.audit.append(batch))), event loop turned every 500, then flush; after a warm-up on other feeds; ` +
          `time cap ${EVENT_SECONDS} s; rate = events / wall seconds from the first record to the end of the last flush` +
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

// ---------------------------------------------------------------------------------------------------------------
// Where the SQLite event path spends its time: a CPU profile of a shorter run, and each piece alone.

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
    "hash chain: chain() + hashEvent (JSON.stringify + SHA-256)",
    (f) => f.url.includes("/dist/audit/chain.js") || f.url.startsWith("node:internal/crypto/hash"),
  ],
  ["event ids (randomBytes)", (f) => f.url.startsWith("node:internal/crypto/random") || f.url.includes("/dist/services/secrets.js")],
  ["requestDraft() object building", (f) => f.url.includes("/dist/services/audit.js")],
  ["audit repository append(), buffer, store", (f) => /\/dist\/(store|audit)\//.test(f.url)],
  ["garbage collection", (f) => f.functionName === "(garbage collector)"],
  ["this benchmark's producer", (f) => f.url.includes("/bench/audit.mjs")],
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
async function profileEvents(services, events) {
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
 * Each piece of one event's way alone, in µs per event; and SQLite's floor: the same rows inserted with one prepared
 * statement per row (no Kysely), in transactions of 500, into a copy of the schema (same pragmas as the server), with
 * and without the secondary indexes, alternating, best of two.
 */
async function piecesSqlite(services, dataDir) {
  const { audit, store } = services;
  const { chain, hashEvent } = await serverModule("audit/chain.js");
  const n = 20_000;
  const make = draftMaker(audit, ["tok_piecesAAAAAAAAAAAAAAAA"]);
  const { rows } = chain(
    Array.from({ length: n }, (_, i) => make(i)),
    { seq: 0, hash: "" },
  );
  const { kysely } = store.db;
  const pieces = {
    "requestDraft() (id, timestamp, the object)": usPer(make, n),
    "hashEvent(row)": usPer((i) => hashEvent(rows[i]), n),
    "chain(): per event, in batches of 50": usPerBatch(
      () => Array.from({ length: n }, (_, i) => make(i)), // chain() may take over its drafts: fresh ones each pass, untimed
      (copies) => {
        for (let i = 0; i < copies.length; i += 50) chain(copies.slice(i, i + 50), { seq: i, hash: "x" });
      },
      n,
    ),
    "Kysely insertInto(audit_events).values(50 rows).compile(): per row (PostgreSQL's path)": usPer(
      (i) =>
        i % 50 === 0 &&
        kysely
          .insertInto("audit_events")
          .values(rows.slice(i, i + 50))
          .compile(),
      n,
    ),
  };

  const require = createRequire(join(ROOT, "packages", "server", "package.json"));
  const SQLite = require("better-sqlite3");
  const ddl = (
    await kysely.selectFrom("sqlite_master").select(["name", "type", "sql"]).where("tbl_name", "=", "audit_events").execute()
  ).filter((r) => r.sql);
  const indexes = ddl.filter((r) => r.type === "index").map((r) => r.name);
  const columns = Object.keys(rows[0]);
  const floor = (withIndexes) => {
    const file = join(dataDir, `floor-${withIndexes ? "all" : "min"}.db`);
    const db = new SQLite(file);
    try {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      for (const r of ddl) if (r.type === "table" || withIndexes) db.exec(r.sql);
      const insert = db.prepare(`insert into audit_events (${columns.join(", ")}) values (${columns.map(() => "?").join(", ")})`);
      const write = db.transaction((batch) => {
        for (const r of batch) insert.run(columns.map((c) => r[c]));
      });
      const t0 = nowMs();
      const c0 = cpuUs();
      for (let i = 0; i < rows.length; i += 500) write(rows.slice(i, i + 500));
      return { wall: ((nowMs() - t0) * 1000) / rows.length, cpu: (cpuUs() - c0) / rows.length };
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
  pieces[`SQLite floor, schema as is (PK, unique(feed,seq), ${indexes.join(", ")}): wall`] = +all.wall.toFixed(2);
  pieces["SQLite floor, schema as is: CPU"] = +all.cpu.toFixed(2);
  pieces["SQLite floor without the secondary indexes (PK, unique(feed,seq)): wall"] = +min.wall.toFixed(2);
  pieces["SQLite floor without the secondary indexes: CPU"] = +min.cpu.toFixed(2);
  return { usPerEvent: pieces, budgetUsPerEventForGoal: +(1e6 / GOAL_SQLITE_EVENTS_PER_SEC).toFixed(1), indexes };
}

// ---------------------------------------------------------------------------------------------------------------
// PostgreSQL: a fresh database, dropped afterwards.

async function pgAdmin(text) {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function postgresEvents() {
  const name = `latchkey_bench_audit_${randomBytes(5).toString("hex")}`;
  try {
    await pgAdmin(`create database ${name}`);
  } catch (error) {
    return { skipped: `PostgreSQL at ${ADMIN_URL.replace(/\/\/[^@]*@/, "//")} unavailable: ${error.message}` };
  }
  const dataDir = mkdtempSync(join(os.tmpdir(), "latchkey-bench-audit-pg-"));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  try {
    const { result, services, app } = await eventsRun({ dialect: "postgres", databaseUrl: url.toString(), dataDir, events: PG_EVENTS });
    try {
      return { result, profile: process.argv.includes("--profile") ? await profileEvents(services, 10_000) : undefined };
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

// ---------------------------------------------------------------------------------------------------------------
// (2) HTTP: the same server with auditing on and off, in two child processes, alternating.

function startChild(mode, profileDir) {
  const child = fork(SELF, ["--serve", mode], {
    execArgv: profileDir ? ["--cpu-prof", `--cpu-prof-dir=${join(profileDir, mode)}`] : [],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const ready = new Promise((resolve, reject) => {
    child.once("message", resolve);
    child.once("exit", (code) => reject(new Error(`the "${mode}" server exited early (${code})`)));
  });
  const ask = (message) =>
    new Promise((resolve) => {
      child.once("message", resolve);
      child.send(message);
    });
  const stop = async () => {
    if (child.exitCode !== null || !child.connected) return null;
    const timer = setTimeout(() => child.kill(), 10_000);
    try {
      const reply = await Promise.race([ask("stop"), new Promise((resolve) => child.once("exit", () => resolve(null)))]);
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", resolve)));
      return reply;
    } finally {
      clearTimeout(timer);
    }
  };
  return { mode, child, ready, ask, stop };
}

async function httpCompare() {
  const { default: autocannon } = await import("autocannon");
  const profileDir = process.argv.includes("--cpu-prof") ? mkdtempSync(join(os.tmpdir(), "latchkey-audit-prof-")) : null;
  if (profileDir) out(`  server CPU profiles: ${profileDir}/{on,off}\n`);
  const servers = { on: startChild("on", profileDir), off: startChild("off", profileDir) };
  const label = { on: "auditing on ", off: "auditing off" };
  const served = { on: 0, off: 0 };
  try {
    const ready = { on: await servers.on.ready, off: await servers.off.ready };
    for (const mode of ["on", "off"]) {
      const res = await fetch(`${ready[mode].address}/v1/projects`, { headers: { authorization: `Bearer ${ready[mode].token}` } });
      const body = await res.json();
      if (res.status !== 200 || !Array.isArray(body?.data?.projects) || body.data.projects.length !== 3)
        throw new Error(`${mode}: GET /v1/projects -> ${res.status} ${JSON.stringify(body)}`);
      served[mode]++;
    }

    const run = async (mode, duration) => {
      const { address, token } = ready[mode];
      const cpu0 = (await servers[mode].ask("cpu")).cpuUs;
      const r = await autocannon({
        url: `${address}/v1/projects`,
        headers: { authorization: `Bearer ${token}` },
        connections: CONNECTIONS,
        duration,
        pipelining: 1,
      });
      const cpu = (await servers[mode].ask("cpu")).cpuUs - cpu0;
      const statusCodes = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, v]) => [code, v.count]));
      served[mode] += r["2xx"];
      return {
        mode,
        requests: r.requests.total,
        ok2xx: r["2xx"],
        non2xx: r.non2xx,
        errors: r.errors,
        timeouts: r.timeouts,
        statusCodes,
        seconds: r.duration,
        reqPerSec: r.requests.total / r.duration,
        serverCpuUsPerRequest: cpu / Math.max(r.requests.total, 1),
        serverCpuShare: cpu / 1e6 / r.duration,
        latencyMs: { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max },
      };
    };

    const warm = [await run("on", 2), await run("off", 2)];
    const runs = [];
    for (let round = 0; round < HTTP_ROUNDS; round++) {
      for (const mode of round % 2 === 0 ? ["on", "off"] : ["off", "on"]) {
        const r = await run(mode, HTTP_SECONDS);
        runs.push(r);
        out(
          `  ${label[mode]}  ${fmt(r.reqPerSec).padStart(7)} req/s  p50 ${r.latencyMs.p50} ms  p99 ${r.latencyMs.p99} ms  ` +
            `server ${r.serverCpuUsPerRequest.toFixed(0)} µs CPU/req (${r.serverCpuShare.toFixed(2)} cores)` +
            `${r.non2xx + r.errors + r.timeouts > 0 ? `  NON-2XX ${JSON.stringify(r.statusCodes)} errors ${r.errors} timeouts ${r.timeouts}` : ""}\n`,
        );
      }
    }
    const stopped = { on: await servers.on.stop(), off: await servers.off.stop() };

    const side = (mode) => {
      const rs = runs.filter((r) => r.mode === mode);
      const total = rs.reduce((n, r) => n + r.requests, 0);
      const secs = rs.reduce((n, r) => n + r.seconds, 0);
      const cpu = rs.reduce((n, r) => n + r.serverCpuUsPerRequest * r.requests, 0);
      return {
        label: `GET /v1/projects (Bearer), ${mode === "on" ? "request auditing on" : "auditRequests: false"}`,
        reqPerSec: Math.round(total / secs),
        serverCpuUsPerRequest: +(cpu / total).toFixed(1),
        rounds: rs.map((r) => ({
          reqPerSec: Math.round(r.reqPerSec),
          serverCpuUsPerRequest: +r.serverCpuUsPerRequest.toFixed(1),
          latencyMs: r.latencyMs,
        })),
      };
    };
    const candidate = side("on");
    const baseline = side("off");
    const ratio = candidate.reqPerSec / baseline.reqPerSec;
    const pairRatios = [];
    for (let i = 0; i + 1 < runs.length; i += 2) {
      const [a, b] = runs[i].mode === "on" ? [runs[i], runs[i + 1]] : [runs[i + 1], runs[i]];
      pairRatios.push(+(a.reqPerSec / b.reqPerSec).toFixed(3));
    }
    const all = [...warm, ...runs];
    const sum = (mode, k) => all.filter((r) => r.mode === mode).reduce((n, r) => n + r[k], 0);
    const refused = {
      non2xx: sum("on", "non2xx") + sum("off", "non2xx"),
      errors: sum("on", "errors") + sum("off", "errors"),
      timeouts: sum("on", "timeouts") + sum("off", "timeouts"),
    };
    const statusCodes = {};
    for (const r of all)
      for (const [c, n] of Object.entries(r.statusCodes)) statusCodes[`${r.mode} ${c}`] = (statusCodes[`${r.mode} ${c}`] ?? 0) + n;
    // Every 2xx answered by the audited server must be in its token's feed (a few more may be there: requests
    // served after autocannon stopped waiting); the other server must have written none.
    const requestsIncludingWarmup = { on: sum("on", "requests"), off: sum("off", "requests") }; // for per-request profiles
    const auditOn = stopped.on?.audit ?? null;
    const auditOff = stopped.off?.audit ?? null;
    const everyRequestAudited = auditOn !== null && auditOn.requestEvents >= served.on && auditOn.feedHeadSeq === auditOn.requestEvents;
    const baselineUnaudited = auditOff !== null && auditOff.requestEvents === 0;
    const clean = refused.non2xx === 0 && refused.errors === 0 && refused.timeouts === 0;
    return {
      name: "authenticated GET /v1/projects, request auditing on vs off",
      candidate,
      baseline,
      ratio: +ratio.toFixed(3),
      pairRatios,
      serverCpuRatio: +(baseline.serverCpuUsPerRequest / candidate.serverCpuUsPerRequest).toFixed(3),
      ...refused,
      statusCodes,
      requestsIncludingWarmup,
      audit: { served2xxByAuditedServer: served.on, ...(auditOn ?? {}), everyRequestAudited, baselineWroteNoEvents: baselineUnaudited },
      goal: GOAL_HTTP_RATIO,
      verified: clean && everyRequestAudited && baselineUnaudited,
      pass: ratio >= GOAL_HTTP_RATIO && clean && everyRequestAudited && baselineUnaudited,
      method:
        `two child processes on their own SQLite databases, one built with auditRequests: false; autocannon ${CONNECTIONS} connections, ` +
        `pipelining 1, ${HTTP_ROUNDS} rounds of ${HTTP_SECONDS} s per server, order alternating (on off off on ...), after 2 s warm-up each; ` +
        "ratio = total requests / total seconds (on) over the same (off); pairRatios = adjacent runs; serverCpuRatio = off/on server CPU per request; " +
        "pass needs the ratio, zero non-2xx/errors/timeouts (incl. warm-up), every 2xx of the audited server in its feed, no event on the other",
    };
  } finally {
    await Promise.all([servers.on.stop().catch(() => undefined), servers.off.stop().catch(() => undefined)]);
  }
}

// ---------------------------------------------------------------------------------------------------------------

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
    });
    results.push(result);
    printEvents(result);
    try {
      if (!result.pass || process.argv.includes("--profile")) {
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
    const pg = await postgresEvents();
    if (pg.skipped) {
      extra.postgresSkipped = pg.skipped;
      out(`\nPostgreSQL: skipped (${pg.skipped})\n`);
    } else {
      results.push(pg.result);
      printEvents(pg.result);
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
  out(`\nHTTP: ${CONNECTIONS} connections, ${HTTP_ROUNDS} rounds of ${HTTP_SECONDS} s per server, alternating, after 2 s warm-up each\n`);
  const http = await httpCompare();
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

function printEvents(r) {
  const goal = r.goal
    ? `  goal >= ${fmt(r.goal.eventsPerSec)}/s  ${r.eventsPerSec >= r.goal.eventsPerSec ? "PASS" : "FAIL"}`
    : "  (no goal)";
  out(
    `\n${r.name}\n` +
      `  ${fmt(r.events)} events${r.stoppedAtTimeCap ? ` (of ${fmt(r.requested)}: stopped at the ${EVENT_SECONDS} s cap)` : ""} in ${r.seconds} s: ` +
      `${fmt(r.eventsPerSec)} events/s, ${r.usPerEvent} µs/event (${fmt(r.eventsPerCpuSec)} per CPU-second of this process)${goal}\n` +
      `  stored ${fmt(r.stored)}, chains ${r.chain.ok ? "verify" : `BROKEN at ${r.chain.firstBroken}`} (${fmt(r.chain.checked)} checked, ${fmt(r.chain.verifiedPerSec)}/s), ` +
      `buffer-full waits ${r.bufferFullWaits}${r.verified ? "" : "  CHECK FAILED"}\n`,
  );
}

function printProfile(p, pieces) {
  out(
    `\n  where this process spends its time (profile of ${fmt(p.events)} more events, ${fmt(p.eventsPerSecUnderProfiler)}/s under the profiler; ` +
      `${fmt(p.busyMs)} ms busy, ${fmt(p.idleOrProfilerMs)} ms idle or profiler):\n`,
  );
  for (const c of p.categories) out(`    ${c.percent.toFixed(1).padStart(5)}%  ${c.what}\n`);
  out("  top functions (self time):\n");
  for (const c of p.topFunctions.slice(0, 6)) out(`    ${c.percent.toFixed(1).padStart(5)}%  ${c.what}\n`);
  if (!pieces) return;
  out(`  each piece alone, µs per event (goal budget ${pieces.budgetUsPerEventForGoal} µs/event):\n`);
  for (const [k, v] of Object.entries(pieces.usPerEvent)) out(`    ${String(v).padStart(7)}  ${k}\n`);
}

function printHttp(r) {
  out(
    `\n${r.name}\n` +
      `  candidate  auditing on   ${fmt(r.candidate.reqPerSec).padStart(7)} req/s  server ${r.candidate.serverCpuUsPerRequest} µs CPU/req\n` +
      `  baseline   auditing off  ${fmt(r.baseline.reqPerSec).padStart(7)} req/s  server ${r.baseline.serverCpuUsPerRequest} µs CPU/req\n` +
      `  ratio ${r.ratio.toFixed(3)} (pairs ${r.pairRatios.join(", ")})  goal >= ${r.goal}  ${r.ratio >= r.goal ? "PASS" : "FAIL"}   server CPU ratio ${r.serverCpuRatio}\n` +
      `  non-2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts}; audited server: ${fmt(r.audit.served2xxByAuditedServer)} served 2xx, ` +
      `${fmt(r.audit.requestEvents ?? 0)} request events (${r.audit.everyRequestAudited ? "every request audited" : "MISSING EVENTS"}); ` +
      `baseline wrote ${r.audit.baselineWroteNoEvents ? "no" : "SOME"} events\n`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
if (process.argv[2] === "--serve") await serve(process.argv[3] === "on");
else await main();
