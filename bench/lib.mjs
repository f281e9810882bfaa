// Shared helpers of the benchmarks: building the server if needed, a server fixture with one API token, PostgreSQL
// admin statements and the result files (the timing loop is in timing.mjs). Plain ESM so that Node runs it without a
// TypeScript loader.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, relative, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL, URL } from "node:url";
import { problemsOf, spreadOf, summaryLine, UNKNOWN_COMMIT, verdictOf } from "./record.mjs";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const RESULTS_DIR = join(ROOT, "bench", "results");

/** Node's flags for a server process, as `npm start` runs it (package.json's start script is where they are set). */
export const SERVER_NODE_FLAGS = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"))
  .scripts.start.split(/\s+/)
  .filter((word) => word.startsWith("--"));

/** Builds core and server when dist is missing or older than the sources (the same check as `npm start`). */
export function ensureBuilt() {
  execFileSync(process.execPath, [join(ROOT, "scripts", "build-if-missing.mjs")], { cwd: ROOT, stdio: "inherit" });
}

/** Imports a module of the compiled server, e.g. `serverModule("app.js")`. Call ensureBuilt() first. */
export function serverModule(path) {
  return import(pathToFileURL(join(ROOT, "packages", "server", "dist", path)).href);
}

export const OWNER_EMAIL = "owner@bench.example";
export const OWNER_PASSWORD = "bench password long enough";
export const TEAM_ID = "acme";

/** Calls app.inject and returns `data`, or throws with the reply. */
async function ok(app, method, url, headers, payload) {
  const res = await app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
  if (res.statusCode !== 200) throw new Error(`${method} ${url} -> ${res.statusCode} ${res.body}`);
  return { data: JSON.parse(res.body).data, res };
}

/**
 * A server on an empty store; `options` (e.g. `auditRequests: false`) go to buildApp. Call ensureBuilt() first.
 * It logs as served (`npm start`'s default level, info, to stdout: one access line per request) unless `logLevel`
 * says otherwise; a benchmark that serves HTTP drains its server process's stdout (drainLog).
 */
export async function openServer({ databaseUrl, dataDir, logLevel, env = {}, ...options }) {
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
    // BENCH_LOG_LEVEL: a level for every benchmark's server (e.g. silent, to compare with records taken before the
    // access line existed); a benchmark's own `logLevel` wins.
    ...((logLevel ?? process.env.BENCH_LOG_LEVEL) ? { LATCHKEY_LOG_LEVEL: logLevel ?? process.env.BENCH_LOG_LEVEL } : {}),
    // Counted on every request as usual, but high enough that a benchmark's load is never refused with 429.
    LATCHKEY_RATE_LIMIT_PER_HOUR: "100000000",
    // The audit writer: LATCHKEY_AUDIT_THREAD=on|off|auto (default auto: the thread on PostgreSQL, and on SQLite with 4 or more cores).
    ...(process.env.LATCHKEY_AUDIT_THREAD ? { LATCHKEY_AUDIT_THREAD: process.env.LATCHKEY_AUDIT_THREAD } : {}),
    // Whether a reply waits for its event's commit: LATCHKEY_AUDIT_DURABILITY=commit|buffered (default commit).
    ...(process.env.LATCHKEY_AUDIT_DURABILITY ? { LATCHKEY_AUDIT_DURABILITY: process.env.LATCHKEY_AUDIT_DURABILITY } : {}),
    // A benchmark's own settings (LATCHKEY_* variables) win over the above.
    ...env,
  });
  const { app, services } = await buildApp(config, options);
  return { app, services, config };
}

/** The bootstrap owner, team "acme", `projects` projects and one API token of its "default" role: { token, tokenId }. */
export async function seedFixture(app, services, { projects = 1 } = {}) {
  await services.accounts.bootstrap();
  const signIn = await ok(app, "POST", "/v1/session", {}, { email: OWNER_EMAIL, password: OWNER_PASSWORD });
  const cookie = signIn.res.cookies.find((c) => c.name === "latchkey_session");
  const session = { cookie: `latchkey_session=${cookie?.value ?? ""}`, "x-csrf-token": signIn.data.csrfToken };
  await ok(app, "POST", "/v1/teams", session, { name: "Acme" });
  for (let i = 0; i < projects; i++) await ok(app, "POST", `/v1/teams/${TEAM_ID}/projects`, session, { name: `Site ${i + 1}` });
  const created = await ok(app, "POST", `/v1/teams/${TEAM_ID}/tokens`, session, { name: "bench", roleId: "default" });
  const token = created.data.token;
  if (typeof token !== "string") throw new Error("no token in the reply of POST /v1/teams/acme/tokens");
  return { token, tokenId: created.data.apiToken?.id };
}

/**
 * A server on a fresh SQLite database in a temp dir, with the bootstrap owner, team "acme", one project and one API
 * token of the team's "default" role; `server` goes to buildApp (e.g. `{ auditRequests: false }`). Returns
 * { app, services, config, token, close }.
 */
export async function startFixture({ projects = 1, build = true, server = {} } = {}) {
  // `server.logLevel` sets the server's log level (default: as served, info).
  if (build) ensureBuilt();
  const dir = mkdtempSync(join(os.tmpdir(), "latchkey-bench-"));
  const { app, services, config } = await openServer({ databaseUrl: `sqlite:${join(dir, "latchkey.db")}`, dataDir: dir, ...server });
  try {
    const { token } = await seedFixture(app, services, { projects });
    return {
      app,
      services,
      config,
      token,
      async close() {
        await app.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await app.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Reads a forked server's stdout (its log, as a log collector would) and throws it away, counting lines and bytes;
 * fork it with `stdio: ["ignore", "pipe", "inherit", "ipc"]`.
 */
export function drainLog(child) {
  const seen = { lines: 0, bytes: 0 };
  child.stdout?.on("data", (chunk) => {
    seen.bytes += chunk.length;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) seen.lines++;
  });
  return seen;
}

// ---------------------------------------------------------------------------------------------------------------
// PostgreSQL

/** The server the PostgreSQL benchmarks create their databases on. */
export const POSTGRES_ADMIN_URL =
  process.env.LATCHKEY_BENCH_POSTGRES_URL ?? process.env.LATCHKEY_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** Runs one statement on POSTGRES_ADMIN_URL in a connection of its own (pg is loaded only when asked). */
export async function pgAdmin(text) {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Results: one record per benchmark row (bench/record.mjs), written only through writeResult.

/** `--quick` (or BENCH_QUICK=1): few, short rounds to check that a benchmark runs; its records stay out of bench/results. */
export const QUICK = process.argv.includes("--quick") || process.env.BENCH_QUICK === "1";

/** Rounds to run: BENCH_ROUNDS when set, else the benchmark's own count (`quick` with --quick). */
export function roundCount(full, quick) {
  const asked = Number(process.env.BENCH_ROUNDS);
  return Number.isInteger(asked) && asked > 0 ? asked : QUICK ? quick : full;
}

let outputDir;
/** Where records go: BENCH_RESULTS_DIR, else bench/results (a quick run: a fresh temp dir, never bench/results). */
function resultsDir() {
  if (outputDir) return outputDir;
  const asked = process.env.BENCH_RESULTS_DIR ? resolve(process.env.BENCH_RESULTS_DIR) : null;
  if (QUICK && (asked ?? RESULTS_DIR) === RESULTS_DIR) {
    if (asked) throw new Error("a --quick run does not write to bench/results: its few rounds would replace a real record");
    outputDir = mkdtempSync(join(os.tmpdir(), "latchkey-bench-quick-"));
  } else outputDir = asked ?? RESULTS_DIR;
  mkdirSync(outputDir, { recursive: true });
  return outputDir;
}

let source;
/**
 * The commit measured: HEAD, with "-dirty" when the work tree differs from it (bench/results aside: records written
 * earlier in the same `npm run bench` are not code). Taken once, at the start of the run (printHeader).
 */
export function sourceCommit() {
  if (source) return source;
  const git = (...args) =>
    execFileSync("git", args, { cwd: ROOT, stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .trim();
  try {
    const head = git("rev-parse", "HEAD");
    const changes = git("status", "--porcelain", "--", ".", ":(exclude)bench/results");
    source = changes ? `${head}-dirty` : head;
  } catch {
    // not a git checkout (an exported tree): the record says which commit only when told
    source = process.env.LATCHKEY_BENCH_COMMIT ?? UNKNOWN_COMMIT;
  }
  return source;
}

/** The machine the numbers were taken on (the load average: how busy it was with other work). */
export function machine() {
  const cpus = os.cpus();
  return {
    cpus: { model: cpus[0]?.model.trim() ?? "unknown", count: cpus.length },
    node: process.version,
    os: `${process.platform} ${process.arch} ${os.release()}`,
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    loadAverage: os.loadavg().map((x) => +x.toFixed(2)),
  };
}

/**
 * Writes the record of one benchmark row to <results>/<benchmark>.json, prints its summary and returns it.
 * `label`: what exactly is timed, against what baseline; `rounds`: one value per round (the verdict uses their median);
 * `goal`: { op: ">=" | "<=", value } or null; `boundedByOne`: the candidate does strictly more work than its baseline,
 * so a median above 1 is noise; `failedCheck`: why the run is not to be trusted (a count, a chain), or undefined.
 */
export function writeResult({ benchmark, label, unit, rounds, goal = null, boundedByOne = false, failedCheck, method, details = {} }) {
  const spread = spreadOf(rounds);
  const record = {
    benchmark,
    label,
    unit,
    commit: sourceCommit(),
    date: new Date().toISOString(),
    machine: machine(),
    rounds,
    ...spread,
    goal,
    boundedByOne,
    verdict: verdictOf({ ...spread, goal, boundedByOne, failedCheck }),
    ...(failedCheck ? { failedCheck } : {}),
    ...(QUICK ? { quick: true } : {}),
    method,
    // Where request events were written (the event loop or a thread): it moves the HTTP and audit numbers.
    details: {
      auditThread: process.env.LATCHKEY_AUDIT_THREAD ?? "auto",
      auditDurability: process.env.LATCHKEY_AUDIT_DURABILITY ?? "commit",
      ...details,
    },
  };
  const problems = problemsOf({ ...record, quick: undefined });
  if (problems.length > 0) throw new Error(`${benchmark}: not a sound record: ${problems.join("; ")}`);
  const file = join(resultsDir(), `${benchmark}.json`);
  writeFileSync(file, JSON.stringify(record, null, 2) + "\n");
  process.stdout.write(`\n${summaryLine(record)}\n  wrote ${relative(ROOT, file).startsWith("..") ? file : relative(ROOT, file)}\n`);
  return record;
}

/** The title, and what is being measured on what. */
export function printHeader(title) {
  const m = machine();
  const quick = QUICK ? `\n  QUICK RUN: few rounds, records go to ${resultsDir()}` : "";
  process.stdout.write(
    `${title}\n  ${new Date().toISOString()}  node ${m.node}  ${m.cpus.model} x${m.cpus.count}  load ${m.loadAverage.join(" ")}  commit ${sourceCommit()}${quick}\n`,
  );
}
