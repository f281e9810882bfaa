// Shared helpers of the benchmarks: building the server if needed, a server fixture with one API token, PostgreSQL
// admin statements and the result files (the timing loop is in timing.mjs). Plain ESM so that Node runs it without a
// TypeScript loader.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, relative } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL, URL } from "node:url";

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

/** A server on an empty store; `options` (e.g. `auditRequests: false`) go to buildApp. Call ensureBuilt() first. */
export async function openServer({ databaseUrl, dataDir, ...options }) {
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
    // Counted on every request as usual, but high enough that a benchmark's load is never refused with 429.
    LATCHKEY_RATE_LIMIT_PER_HOUR: "100000000",
    // The audit writer: LATCHKEY_AUDIT_THREAD=on|off|auto (default auto: the thread on PostgreSQL, and on SQLite with 4 or more cores).
    ...(process.env.LATCHKEY_AUDIT_THREAD ? { LATCHKEY_AUDIT_THREAD: process.env.LATCHKEY_AUDIT_THREAD } : {}),
  });
  const { app, services } = await buildApp(config, { logger: false, ...options });
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
// Results

/** The commit measured, and whether the server's sources differ from it (read-only git commands). */
function sourceState() {
  const git = (...args) =>
    execFileSync("git", args, { cwd: ROOT, stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .trim();
  try {
    const commit = git("rev-parse", "HEAD");
    let dirty = false;
    try {
      git("diff", "--quiet", "HEAD", "--", "packages");
    } catch {
      dirty = true;
    }
    return { commit, uncommittedChanges: dirty };
  } catch {
    // not a git checkout (an exported tree): say which commit it is, if told
    return { commit: process.env.LATCHKEY_BENCH_COMMIT ?? null, uncommittedChanges: null };
  }
}

/** Where and with what the numbers were taken. */
export function environment() {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    ...sourceState(),
    node: process.version,
    v8: process.versions.v8,
    openssl: process.versions.openssl,
    platform: `${process.platform} ${process.arch} ${os.release()}`,
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cpus: cpus.length,
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    loadAverage: os.loadavg().map((x) => +x.toFixed(2)),
  };
}

/** Writes bench/results/<name>.json and returns its path relative to the repository. */
export function writeResult(name, body) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.json`);
  const all = body.results ?? [];
  const doc = { benchmark: name, ...environment(), pass: all.every((r) => r.pass), ...body };
  writeFileSync(file, JSON.stringify(doc, null, 2) + "\n");
  return relative(ROOT, file);
}

/** The title, and what is being measured on what. */
export function printHeader(title) {
  const e = environment();
  const source = e.commit ? `  commit ${e.commit.slice(0, 10)}${e.uncommittedChanges ? " + uncommitted changes" : ""}` : "";
  process.stdout.write(`${title}\n  ${e.date}  node ${e.node}  ${e.cpu} x${e.cpus}  load ${e.loadAverage.join(" ")}${source}\n`);
}
