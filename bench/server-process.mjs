// A real Latchkey server process for the benchmarks that measure across processes (packages/server/dist/main.js,
// started as `npm start` starts it), and the few HTTP helpers they share (revocation.mjs, webhooks.mjs).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { clearTimeout, setTimeout } from "node:timers";
import { ROOT, SERVER_NODE_FLAGS } from "./lib.mjs";

const { fetch } = globalThis;

const MAIN = join(ROOT, "packages/server/dist/main.js");
export const EMAIL = "owner@example.com";
export const PASSWORD = "correct horse battery staple";
export const PUBLIC_URL = "http://latchkey.bench.test";

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Spawns one server (silent, on 127.0.0.1, with `env` on top) and resolves once /readyz answers 200. */
export async function startServer(name, port, env) {
  const dataDir = mkdtempSync(join(tmpdir(), `latchkey-bench-${name}-`));
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, MAIN], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? tmpdir(),
      NODE_ENV: "production",
      LATCHKEY_PORT: String(port),
      LATCHKEY_HOST: "127.0.0.1",
      LATCHKEY_DATA_DIR: dataDir,
      LATCHKEY_PUBLIC_URL: PUBLIC_URL,
      LATCHKEY_BOOTSTRAP_EMAIL: EMAIL,
      LATCHKEY_BOOTSTRAP_PASSWORD: PASSWORD,
      LATCHKEY_LOG_LEVEL: "silent",
      LATCHKEY_RATE_LIMIT_PER_HOUR: "100000000",
      ...env,
    },
  });
  let output = "";
  child.stdout.on("data", (c) => (output = (output + c.toString()).slice(-50_000)));
  child.stderr.on("data", (c) => (output = (output + c.toString()).slice(-50_000)));
  let exited = null;
  const gone = new Promise((resolve) => child.once("exit", (code, signal) => resolve((exited = { code, signal }))));
  const server = {
    name,
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    async stop() {
      if (!exited) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => exited || child.kill("SIGKILL"), 5000);
        await gone;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`server ${name} exited before it was ready (${JSON.stringify(exited)}):\n${output}`);
    if (output.includes("Latchkey is listening")) {
      const ready = await fetch(`${server.url}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ready) return server;
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`server ${name} was not ready within 30 s:\n${output}`);
    }
    await sleep(50);
  }
}

/** One HTTP call; returns status, parsed body and headers. */
export async function call(base, method, path, { cookie, csrf, bearer, body } = {}) {
  const headers = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (cookie) headers.cookie = cookie;
  if (csrf && method !== "GET") headers["x-csrf-token"] = csrf;
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  const response = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let json = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = { raw: text };
  }
  return { status: response.status, body: json, headers: response.headers };
}

/** `call`, throwing unless it answered 200. */
export async function ok(base, method, path, options) {
  const reply = await call(base, method, path, options);
  if (reply.status !== 200) throw new Error(`${method} ${base}${path} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  return reply;
}

/** Signs the bootstrap owner in: `{cookie, csrf}` for `call`. */
export async function signIn(base) {
  const session = await ok(base, "POST", "/v1/session", { body: { email: EMAIL, password: PASSWORD } });
  const cookie = session.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .find((c) => c.startsWith("latchkey_session="));
  return { cookie, csrf: session.body.data.csrfToken };
}

/** Nearest-rank percentile of sorted values. */
export const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
export const round2 = (v) => Math.round(v * 100) / 100;
