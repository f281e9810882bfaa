/**
 * End to end: with request events written on the event loop (LATCHKEY_AUDIT_THREAD=off), the compiled server's SQLite
 * checkpoints run in a thread of their own (store/checkpointer.ts; the event loop's connection runs none). What the
 * server writes reaches the database file within seconds instead of piling up in the WAL, and the process still
 * stops cleanly.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Api, ensureBuilt, freePort, startServer, waitFor, type ServerProcess } from "./support.js";

beforeAll(() => ensureBuilt(), 300_000);

describe("SQLite checkpoints in their own thread", () => {
  let dir: string;
  let server: ServerProcess | undefined;
  let file: string;
  const size = () => statSync(file).size;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "latchkey-e2e-checkpoints-"));
    file = join(dir, "latchkey.db");
    server = await startServer({
      name: "checkpoints",
      port: await freePort(),
      publicUrl: "http://latchkey.e2e.test",
      databaseUrl: `sqlite:${file}`,
      env: { LATCHKEY_AUDIT_THREAD: "off", LATCHKEY_RATE_LIMIT_PER_HOUR: "1000000" },
    });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it("moves what the server writes from the WAL into the database file within seconds", async () => {
    const owner = await Api.signIn(server!.url);
    await owner.ok("POST", "/v1/teams", { name: "Acme" });
    const minted = await owner.ok<{ token: string }>("POST", "/v1/teams/acme/tokens", { name: "busy", roleId: "default" });
    // Whatever start-up wrote is in the file once the first checkpoints have run.
    const settled = await waitFor(
      async () => {
        const before = size();
        await new Promise((resolve) => setTimeout(resolve, 1500));
        return size() === before;
      },
      (same) => same,
      { timeoutMs: 15_000 },
    );
    expect(settled.met).toBe(true);
    const before = size();

    // About 600 request events (a few hundred bytes each) and their index entries: well over 100 KiB of pages.
    const api = owner.bearer(minted.token);
    for (let i = 0; i < 600; i += 20) {
      const replies = await Promise.all(Array.from({ length: 20 }, () => api.request("GET", "/v1/projects")));
      for (const r of replies) expect(r.status).toBe(200);
    }
    const grown = await waitFor(
      () => Promise.resolve(size()),
      (now) => now >= before + 100 * 1024,
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    expect(grown.met, `database file ${before} -> ${grown.value} bytes`).toBe(true);
  });

  it("stops cleanly with the thread running", async () => {
    await server!.stop();
    expect(server!.exited()).toMatchObject({ code: 0 });
    server = undefined;
  });
});
