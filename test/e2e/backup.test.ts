/**
 * End to end: an online backup of the SQLite database while the server serves token load
 * (`node packages/server/dist/main.js backup <file>`, what `npm run backup -- <file>` runs), then the restore of
 * README "Backups": the copy and the master key into a fresh data directory. The restored server starts, its tokens
 * are as they were (a minted one works, a revoked one is refused), every request answered before the backup began
 * is in the token's feed, and the chains verify.
 */
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportFeed, loadFor, startLoad } from "./crash-support.js";
import { Api, ensureBuilt, freePort, MAIN, ROOT, startServer, type ServerProcess } from "./support.js";

const PUBLIC_URL = "http://latchkey.e2e.test";
const TEAM = "acme";

beforeAll(() => ensureBuilt(), 300_000);

/** Runs the backup command against the data directory `dataDir`; its exit code and output. */
function runBackup(
  dataDir: string,
  file: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, "backup", file], {
      cwd: ROOT,
      env: { PATH: process.env["PATH"] ?? "", LATCHKEY_DATA_DIR: dataDir, LATCHKEY_LOG_LEVEL: "silent", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("backup and restore (SQLite)", () => {
  const dirs: string[] = [];
  const servers: ServerProcess[] = [];
  const fresh = (name: string) => {
    const dir = mkdtempSync(join(tmpdir(), `latchkey-e2e-${name}-`));
    dirs.push(dir);
    return dir;
  };
  const start = async (name: string, dataDir: string) => {
    const server = await startServer({
      name,
      port: await freePort(),
      publicUrl: PUBLIC_URL,
      env: { LATCHKEY_DATA_DIR: dataDir, LATCHKEY_RATE_LIMIT_PER_HOUR: "10000000" },
    });
    servers.push(server);
    return server;
  };
  afterAll(async () => {
    for (const s of servers) await s.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }, 30_000);

  it("backs up under load; the restored copy serves with its tokens intact and its chains verifying", async () => {
    const live = fresh("backup-live");
    const server = await start("backup-live", live);
    const owner = await Api.signIn(server.url);
    await owner.ok("POST", "/v1/teams", { name: "Acme" });
    await owner.ok("POST", `/v1/teams/${TEAM}/projects`, { name: "Web" });
    const mint = (name: string) =>
      owner.ok<{ token: string; apiToken: { id: string } }>("POST", `/v1/teams/${TEAM}/tokens`, { name, roleId: "default" });
    const load = await mint("load");
    const kept = await mint("kept");
    const revoked = await mint("revoked");
    await owner.ok("DELETE", `/v1/teams/${TEAM}/tokens/${revoked.apiToken.id}`);

    const running = startLoad(server.url, load.token, 16, "backup");
    await loadFor(running.result, 200, 8000);
    const answeredBefore = [...running.result.answered];
    const file = join(fresh("backup-out"), "latchkey-backup.db");
    const result = await runBackup(live, file);
    const seen = await running.stop();
    await server.stop();
    process.stdout.write(
      `backup report: ${answeredBefore.length} requests answered before the backup began, ${seen.answered.size} by the end of the load; ` +
        `backup output:\n${result.stdout}${result.stderr}`,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/backup: 100% \(\d+\/\d+ pages/);
    expect(result.stdout).toContain("check ok");
    expect(existsSync(file)).toBe(true);
    expect([...seen.other.keys()].filter((k) => k !== "network error")).toEqual([]);

    // The restore: the copy and the master key into a fresh data directory.
    const restored = fresh("backup-restored");
    copyFileSync(file, join(restored, "latchkey.db"));
    copyFileSync(join(live, "master.key"), join(restored, "master.key"));
    const again = await start("backup-restored", restored);
    const owner2 = await Api.signIn(again.url);
    expect((await owner2.bearer(kept.token).request("GET", "/v1/projects")).status).toBe(200);
    expect((await owner2.bearer(load.token).request("GET", "/v1/projects")).status).toBe(200);
    expect((await owner2.bearer(revoked.token).request("GET", "/v1/projects")).status).toBe(401);
    const feed = await exportFeed(owner2, `/v1/teams/${TEAM}/tokens/${load.apiToken.id}/audit-logs`);
    const stored = new Set(feed.map((e) => e.userAgent));
    expect(answeredBefore.filter((agent) => !stored.has(agent))).toEqual([]);
    expect(await owner2.ok("GET", `/v1/teams/${TEAM}/tokens/${load.apiToken.id}/audit-logs/verify`)).toMatchObject({ ok: true });
    expect(await owner2.ok("GET", `/v1/teams/${TEAM}/audit-logs/verify`)).toMatchObject({ ok: true });
  }, 120_000);

  it("refuses to overwrite a file, and says what to use on PostgreSQL", async () => {
    const dir = fresh("backup-refusals");
    const existing = join(dir, "taken.db");
    copyFileSync(MAIN, existing);
    const server = await start("backup-refusals", dir);
    await server.stop();
    const taken = await runBackup(dir, existing);
    expect(taken.code).not.toBe(0);
    expect(taken.stderr).toContain("exists already");
    const missing = await runBackup(dir, "");
    expect(missing.code).toBe(2);
    // Refused from the configuration alone: no connection is made.
    const postgres = await runBackup(dir, join(dir, "pg.db"), {
      LATCHKEY_DATABASE_URL: "postgres://nobody@127.0.0.1:1/none",
      LATCHKEY_MASTER_KEY: Buffer.alloc(32, 7).toString("base64"),
    });
    expect(postgres.code).toBe(2);
    expect(postgres.stderr).toContain("pg_dump");
    expect(existsSync(join(dir, "pg.db"))).toBe(false);
  }, 60_000);
});
