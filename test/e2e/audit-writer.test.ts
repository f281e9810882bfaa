/**
 * End to end: the compiled server hashes and writes request events in its audit writer thread (vitest runs the
 * TypeScript sources, where the writer is inline; only a real process runs the thread). Every request made with a
 * token lands in its feed with a chain that verifies, on SQLite and on PostgreSQL, and events still in the buffer
 * when the process is told to stop are written before it exits.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Api, createDatabase, ensureBuilt, freePort, startServer, waitFor, type E2eDatabase, type ServerProcess } from "./support.js";

const PUBLIC_URL = "http://latchkey.e2e.test";
const TEAM = "acme";
const REQUESTS = 240;
const postgresUrl = inject("postgresUrl");

beforeAll(() => ensureBuilt(), 300_000);

interface Verification {
  ok: boolean;
  checked: number;
}

/** Makes `n` token requests, `parallel` at a time; every one must be served. */
async function hammer(api: Api, n: number, parallel = 12): Promise<void> {
  for (let i = 0; i < n; i += parallel) {
    const replies = await Promise.all(Array.from({ length: Math.min(parallel, n - i) }, () => api.request("GET", "/v1/projects")));
    for (const r of replies) expect(r.status).toBe(200);
  }
}

const kinds = [{ kind: "sqlite" as const }, ...(postgresUrl ? [{ kind: "postgres" as const }] : [])];

describe.each(kinds)("request events through the writer thread ($kind)", ({ kind }) => {
  let db: E2eDatabase | undefined;
  let dir: string | undefined;
  let server: ServerProcess | undefined;
  const masterKey = randomBytes(32).toString("base64");
  let databaseUrl: string;

  const start = async (name: string) =>
    startServer({ name, port: await freePort(), publicUrl: PUBLIC_URL, databaseUrl, masterKey, env: { LATCHKEY_AUDIT_THREAD: "on" } });

  beforeAll(async () => {
    if (kind === "postgres") {
      db = await createDatabase(postgresUrl!);
      databaseUrl = db.url;
    } else {
      dir = mkdtempSync(join(tmpdir(), "latchkey-e2e-audit-"));
      databaseUrl = `sqlite:${join(dir, "latchkey.db")}`;
    }
    server = await start(`${kind}-1`);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it("every request lands in the token's feed, and the chain verifies", async () => {
    const owner = await Api.signIn(server!.url);
    await owner.ok("POST", "/v1/teams", { name: "Acme" });
    await owner.ok("POST", `/v1/teams/${TEAM}/projects`, { name: "Web" });
    const minted = await owner.ok<{ token: string; apiToken: { id: string } }>("POST", `/v1/teams/${TEAM}/tokens`, {
      name: "writer thread",
      roleId: "default",
    });
    await hammer(owner.bearer(minted.token), REQUESTS);

    const verify = `/v1/teams/${TEAM}/tokens/${minted.apiToken.id}/audit-logs/verify`;
    const seen = await waitFor(
      () => owner.ok<Verification>("GET", verify),
      (v) => v.checked >= REQUESTS,
      { timeoutMs: 5000, intervalMs: 50 },
    );
    expect(seen.met).toBe(true);
    expect(seen.value.ok).toBe(true);
    const page = await owner.request("GET", `/v1/teams/${TEAM}/tokens/${minted.apiToken.id}/audit-logs?eventType=request&per_page=5`);
    expect(page.status).toBe(200);
    expect((page.body.data as { auditLogs: { path: string; status: number }[] }).auditLogs[0]).toMatchObject({
      path: "/v1/projects",
      status: 200,
    });
  }, 60_000);

  it("events still buffered at SIGTERM are written before the process exits", async () => {
    const owner = await Api.signIn(server!.url);
    const minted = await owner.ok<{ token: string; apiToken: { id: string } }>("POST", `/v1/teams/${TEAM}/tokens`, {
      name: "stopped at once",
      roleId: "default",
    });
    // Stopped straight after the last reply: the buffer's 250 ms timer has not written these yet.
    await hammer(owner.bearer(minted.token), 60);
    await server!.stop(10_000);
    expect(server!.exited()?.code).toBe(0);

    server = await start(`${kind}-2`);
    const again = await Api.signIn(server.url);
    const v = await again.ok<Verification>("GET", `/v1/teams/${TEAM}/tokens/${minted.apiToken.id}/audit-logs/verify`);
    expect(v).toMatchObject({ ok: true });
    expect(v.checked).toBeGreaterThanOrEqual(60);
  }, 60_000);
});
