/**
 * End-to-end support: real Latchkey server processes (the built `packages/server/dist/main.js`), a fresh PostgreSQL
 * database per run, and a small HTTP client over Node's fetch. Everything talks to 127.0.0.1 only.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll } from "vitest";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const MAIN = join(ROOT, "packages/server/dist/main.js");
export const OWNER_EMAIL = "owner@example.com";
export const OWNER_PASSWORD = "correct horse battery staple";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs a command to completion; rejects with its output when it fails. */
function run(command: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(" ")} failed (${signal ?? `exit ${code}`}):\n${output}`));
    });
  });
}

/**
 * Makes sure the server is built. `npm test` normally runs after `npm run build`; a fresh clone (or sources newer
 * than the build) gets built here, through the same script `npm start` uses.
 */
export async function ensureBuilt(timeoutMs = 240_000): Promise<void> {
  const script = join(ROOT, "scripts/build-if-missing.mjs");
  if (existsSync(script)) await run(process.execPath, [script], timeoutMs);
  else if (!existsSync(MAIN)) await run(process.platform === "win32" ? "npm.cmd" : "npm", ["run", "build"], timeoutMs);
  if (!existsSync(MAIN)) throw new Error(`the build did not produce ${MAIN}`);
}

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}

/** A fresh PostgreSQL database for one run, dropped (with force) by `drop`. */
export interface E2eDatabase {
  name: string;
  url: string;
  /** Runs SQL on the admin connection (the server's maintenance database, not this one). */
  admin<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  drop(): Promise<void>;
}

export async function createDatabase(adminUrl: string): Promise<E2eDatabase> {
  const name = `latchkey_e2e_${randomBytes(6).toString("hex")}`;
  const admin = async <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => {
    const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      return await client.query<R>(text, values);
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  await admin(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    admin,
    drop: async () => {
      await admin(`drop database if exists ${name} with (force)`);
    },
  };
}

/** One running server process. */
export interface ServerProcess {
  name: string;
  port: number;
  /** http://127.0.0.1:<port> */
  url: string;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Whether the process has exited, and how. */
  exited(): { code: number | null; signal: NodeJS.Signals | null } | null;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface ServerOptions {
  name: string;
  port: number;
  /** postgres://...; without it the process uses SQLite in its own temporary data directory. */
  databaseUrl?: string;
  /** Required with PostgreSQL (the same for every process); SQLite keeps one in its data directory. */
  masterKey?: string;
  publicUrl: string;
  /** PostgreSQL application_name of every connection of this process (PGAPPNAME), to find them in pg_stat_activity. */
  applicationName?: string;
  /** `smtp://host:port` of an SMTP server (smtp-support.ts) for the e-mail the process sends; without it, its log. */
  smtpUrl?: string;
  env?: Record<string, string>;
  readyTimeoutMs?: number;
  /** `false` starts without the bootstrap owner: the process prints a one-time setup link instead. */
  bootstrap?: boolean;
}

const MAX_OUTPUT = 200_000;

/**
 * Server processes of this test file still running. A test that never stops one left it behind after the suite (an
 * orphan holding its port and its database: crash.test.ts's set-up server did). After the file's own hooks, any
 * still running is killed, and the file fails naming it.
 */
const running = new Map<ChildProcess, string>();
afterAll(() => {
  const left = [...running.values()];
  for (const child of running.keys()) child.kill("SIGKILL");
  running.clear();
  if (left.length > 0) throw new Error(`e2e servers never stopped by their tests: ${left.join(", ")}`);
});

/** Spawns `node packages/server/dist/main.js` and resolves once it listens and `/readyz` answers 200. */
export async function startServer(options: ServerOptions): Promise<ServerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), `latchkey-e2e-${options.name}-`));
  const env: Record<string, string> = {
    PATH: process.env["PATH"] ?? "",
    HOME: process.env["HOME"] ?? tmpdir(),
    NODE_ENV: "production",
    LATCHKEY_PORT: String(options.port),
    LATCHKEY_HOST: "127.0.0.1",
    LATCHKEY_DATA_DIR: dataDir,
    ...(options.databaseUrl ? { LATCHKEY_DATABASE_URL: options.databaseUrl } : {}),
    ...(options.masterKey ? { LATCHKEY_MASTER_KEY: options.masterKey } : {}),
    LATCHKEY_PUBLIC_URL: options.publicUrl,
    ...(options.bootstrap === false ? {} : { LATCHKEY_BOOTSTRAP_EMAIL: OWNER_EMAIL, LATCHKEY_BOOTSTRAP_PASSWORD: OWNER_PASSWORD }),
    LATCHKEY_LOG_LEVEL: "silent",
    ...(options.applicationName ? { PGAPPNAME: options.applicationName } : {}),
    ...(options.smtpUrl ? { LATCHKEY_SMTP_URL: options.smtpUrl } : {}),
    ...options.env,
  };
  const child = spawn(process.execPath, [MAIN], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  running.set(child, options.name);
  child.once("exit", () => running.delete(child));
  let output = "";
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > MAX_OUTPUT) output = output.slice(-MAX_OUTPUT);
  };
  child.stdout.on("data", append);
  child.stderr.on("data", append);
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const gone = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      resolve();
    });
    child.once("error", (error) => {
      append(Buffer.from(`spawn error: ${error.message}\n`));
      exit ??= { code: -1, signal: null };
      resolve();
    });
  });
  const url = `http://127.0.0.1:${options.port}`;
  const server: ServerProcess = {
    name: options.name,
    port: options.port,
    url,
    child,
    output: () => output,
    exited: () => exit,
    async stop(graceMs = 5000) {
      if (!exit) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => {
          if (!exit) child.kill("SIGKILL");
        }, graceMs);
        await gone;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (exit) {
      await server.stop();
      throw new Error(`server ${options.name} exited before it was ready (${JSON.stringify(exit)}):\n${output}`);
    }
    if (output.includes("Latchkey is listening")) {
      const ready = await fetch(`${url}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ready) return server;
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`server ${options.name} was not ready within ${options.readyTimeoutMs ?? 30_000} ms:\n${output}`);
    }
    await sleep(50);
  }
}

/** A reply as the tests read it. */
export interface Reply {
  status: number;
  body: { data?: unknown; error?: { code: string; message: string; details?: Record<string, unknown> } } & Record<string, unknown>;
  headers: Headers;
}

/** HTTP calls to one server as one caller: a console session (cookie + CSRF) or a bearer token. */
export class Api {
  constructor(
    readonly baseUrl: string,
    readonly auth: { cookie?: string; csrf?: string; bearer?: string } = {},
  ) {}

  /** Signs in with the console session and returns a client carrying its cookie and CSRF token. */
  static async signIn(baseUrl: string, email = OWNER_EMAIL, password = OWNER_PASSWORD): Promise<Api> {
    const response = await fetch(`${baseUrl}/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password }),
    });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`sign-in at ${baseUrl} failed: ${response.status} ${text}`);
    const cookie = response.headers
      .getSetCookie()
      .map((c) => c.split(";")[0] ?? "")
      .find((c) => c.startsWith("latchkey_session="));
    if (!cookie) throw new Error(`sign-in at ${baseUrl} set no latchkey_session cookie`);
    const body = JSON.parse(text) as { data: { csrfToken: string } };
    return new Api(baseUrl, { cookie, csrf: body.data.csrfToken });
  }

  /** The same server as a bearer token. */
  bearer(token: string): Api {
    return new Api(this.baseUrl, { bearer: token });
  }

  /** The same caller on another server (a session cookie is valid on every process: sessions live in the database). */
  on(baseUrl: string): Api {
    return new Api(baseUrl, this.auth);
  }

  async request(method: string, path: string, body?: unknown): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers["content-type"] = "application/json";
    if (this.auth.bearer) headers["authorization"] = `Bearer ${this.auth.bearer}`;
    if (this.auth.cookie) headers["cookie"] = this.auth.cookie;
    if (this.auth.csrf && method !== "GET" && method !== "HEAD") headers["x-csrf-token"] = this.auth.csrf;
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: Reply["body"] = {};
    try {
      parsed = text ? (JSON.parse(text) as Reply["body"]) : {};
    } catch {
      parsed = { raw: text };
    }
    return { status: response.status, body: parsed, headers: response.headers };
  }

  /** `data` of a 200 reply; anything else throws with the reply in the message. */
  async ok<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    const reply = await this.request(method, path, body);
    if (reply.status !== 200) {
      throw new Error(`${method} ${this.baseUrl}${path} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
    }
    return reply.body.data as T;
  }
}

/**
 * Polls `probe` (every `intervalMs`, default 10) until `done` holds or `timeoutMs` passes. Returns the last value,
 * whether the condition was met, and how long it took from the call.
 */
export async function waitFor<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<{ met: boolean; value: T; elapsedMs: number; attempts: number }> {
  const start = performance.now();
  const deadline = start + (options.timeoutMs ?? 2000);
  let attempts = 0;
  for (;;) {
    const value = await probe();
    attempts++;
    if (done(value)) return { met: true, value, elapsedMs: performance.now() - start, attempts };
    if (performance.now() >= deadline) return { met: false, value, elapsedMs: performance.now() - start, attempts };
    await sleep(options.intervalMs ?? 10);
  }
}
