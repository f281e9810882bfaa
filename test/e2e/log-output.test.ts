/**
 * What the server writes to stdout: JSON lines when stdout is a pipe (the start-up banner included, in order, and
 * whatever LATCHKEY_LOG_LEVEL says), and single pretty lines when it is a terminal (a pseudo-terminal made by
 * util-linux `script`).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, freePort, MAIN, ROOT, startServer, type ServerProcess } from "./support.js";

const SCRIPT = "/usr/bin/script";

beforeAll(() => ensureBuilt(), 300_000);

describe("log output on a pipe", { timeout: 60_000 }, () => {
  let server: ServerProcess | undefined;
  afterAll(() => server?.stop(), 30_000);

  it("is JSON lines, the banner first, even at LATCHKEY_LOG_LEVEL=warn", async () => {
    const port = await freePort();
    server = await startServer({
      name: "logs-json",
      port,
      publicUrl: `http://127.0.0.1:${port}`,
      bootstrap: false,
      env: { LATCHKEY_LOG_LEVEL: "warn" },
    });
    expect((await fetch(`${server.url}/v1/permissions`)).status).toBe(200);
    await server.stop();
    const lines = server
      .output()
      .split("\n")
      .filter((line) => line !== "");
    const parsed = lines.map((line) => JSON.parse(line) as { level: number; msg: string; time: number });
    expect(parsed[0]?.msg).toMatch(
      /^Latchkey is listening on http:\/\/127\.0\.0\.1:\d+ \(public URL http:\/\/127\.0\.0\.1:\d+\), database: SQLite at /,
    );
    expect(parsed[1]?.msg).toMatch(
      /^No account exists yet\. Create the first one within this run, once, at: http:\/\/127\.0\.0\.1:\d+\/setup\?token=[\w-]+$/,
    );
    expect(parsed[2]?.msg).toBe(`API reference: http://127.0.0.1:${port}/docs`);
    expect(parsed.slice(0, 3).every((line) => line.level === 30)).toBe(true);
  });

  it("writes access lines after the banner, as JSON, at the default level", async () => {
    const port = await freePort();
    server = await startServer({ name: "logs-info", port, publicUrl: `http://127.0.0.1:${port}`, env: { LATCHKEY_LOG_LEVEL: "info" } });
    expect((await fetch(`${server.url}/v1/permissions`)).status).toBe(200);
    await server.stop();
    const parsed = server
      .output()
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const banner = parsed.findIndex((line) => String(line["msg"]).startsWith("Latchkey is listening"));
    const access = parsed.findIndex((line) => line["msg"] === "request" && line["url"] === "/v1/permissions");
    expect(banner).toBeGreaterThanOrEqual(0);
    expect(access).toBeGreaterThan(banner);
    expect(parsed[access]).toMatchObject({ method: "GET", status: 200 });
  });
});

describe("log output on a terminal", { timeout: 60_000 }, () => {
  it.skipIf(!existsSync(SCRIPT))("is one pretty line per entry: time, level, message", async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), "latchkey-e2e-tty-"));
    // `script` runs the server on a pseudo-terminal and copies what it writes there to its own stdout (our pipe).
    const child = spawn(SCRIPT, ["-qfec", `${JSON.stringify(process.execPath)} ${JSON.stringify(MAIN)}`, "/dev/null"], {
      cwd: ROOT,
      env: {
        PATH: process.env["PATH"] ?? "",
        HOME: process.env["HOME"] ?? tmpdir(),
        TERM: "dumb",
        NO_COLOR: "1",
        LATCHKEY_PORT: String(port),
        LATCHKEY_DATA_DIR: dataDir,
        LATCHKEY_LOG_LEVEL: "info",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    try {
      await expect.poll(() => output, { timeout: 30_000, interval: 100 }).toContain("API reference:");
      expect((await fetch(`http://127.0.0.1:${port}/v1/permissions`)).status).toBe(200);
      await expect.poll(() => output, { timeout: 10_000, interval: 100 }).toContain("GET /v1/permissions 200");
    } finally {
      child.kill("SIGTERM");
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
    const lines = output.split(/\r?\n/).filter((line) => line !== "");
    expect(lines.some((line) => /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: Latchkey is listening on http:\/\/127\.0\.0\.1:\d+ /.test(line))).toBe(
      true,
    );
    expect(lines.some((line) => /^\[[\d:.]+\] INFO: No account exists yet\. .* at: http:\/\/localhost:\d+\/setup\?token=/.test(line))).toBe(
      true,
    );
    expect(lines.find((line) => line.includes("GET /v1/permissions"))).toMatch(
      /^\[[\d:.]+\] INFO: GET \/v1\/permissions 200 [\d.]+ ms \{"reqId":"req_[\w-]+"[^}]*\}$/,
    );
    expect(output).not.toContain('"level":');
  });
});
