/**
 * End to end: a token's rate limit holds across two server processes on one PostgreSQL database. Each process counts
 * in memory and adds its count to the shared row once a second, so B learns what A counted within about a second.
 * The test waits for the shared row itself (polled, with a deadline), not for a guessed time.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Api, createDatabase, ensureBuilt, freePort, startServer, waitFor, type E2eDatabase, type ServerProcess } from "./support.js";

const postgresUrl = inject("postgresUrl");
const LIMIT = 10;
/** How long a process may take to add its count to the shared row (it syncs once a second). */
const SYNC_DEADLINE_MS = 10_000;

beforeAll(() => ensureBuilt(), 300_000);

describe.runIf(postgresUrl)("rate limits across two processes on one PostgreSQL", () => {
  let db: E2eDatabase | undefined;
  let a: ServerProcess | undefined;
  let b: ServerProcess | undefined;
  let reader: pg.Client | undefined;

  beforeAll(async () => {
    db = await createDatabase(postgresUrl!);
    const common = {
      databaseUrl: db.url,
      masterKey: randomBytes(32).toString("base64"),
      publicUrl: "http://latchkey.e2e.test",
      env: { LATCHKEY_RATE_LIMIT_PER_HOUR: String(LIMIT) },
    };
    a = await startServer({ ...common, name: "A", port: await freePort() });
    b = await startServer({ ...common, name: "B", port: await freePort() });
    reader = new pg.Client({ connectionString: db.url });
    await reader.connect();
  }, 90_000);
  afterAll(async () => {
    await reader?.end();
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
  }, 30_000);

  it("requests counted on A use up the token's limit on B", async () => {
    const owner = await Api.signIn(a!.url);
    await owner.ok("POST", "/v1/teams", { name: "Acme" });
    const { token, apiToken } = await owner.ok<{ token: string; apiToken: { id: string } }>("POST", "/v1/teams/acme/tokens", {
      name: "shared",
      roleId: "default",
    });
    const onA = new Api(a!.url, { bearer: token });
    const onB = new Api(b!.url, { bearer: token });
    /** The token's count in the row every process adds to (a process reads the total back in the same statement). */
    const shared = async () =>
      Number(
        (await reader!.query<{ n: string }>("select coalesce(sum(count), 0) as n from rate_limits where key = $1", [`tok:${apiToken.id}`]))
          .rows[0]?.n ?? 0,
      );
    const reaches = async (n: number) => {
      const seen = await waitFor(shared, (v) => v >= n, { timeoutMs: SYNC_DEADLINE_MS, intervalMs: 50 });
      expect(seen.value, `the shared count should reach ${n}`).toBe(n);
    };

    for (let i = 0; i < 6; i++) expect((await onA.request("GET", "/v1/projects")).status).toBe(200);
    await reaches(6); // A has added its 6
    expect((await onB.request("GET", "/v1/projects")).status).toBe(200);
    await reaches(7); // B has added its 1 and, in the same statement, read back 7
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await onB.request("GET", "/v1/projects")).status);
    // 3 more fit under 10; then 429 (never 401), on B, although B itself served only 4.
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
    const last = await onB.request("GET", "/v1/projects");
    expect(last.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(Number(last.headers.get("retry-after"))).toBeGreaterThan(0);
  }, 60_000);
});
