/**
 * End to end, webhooks on real server processes (packages/server/dist/main.js) sharing one PostgreSQL database:
 *
 * - A process killed (SIGKILL) while a delivery waits for its retry: a new process delivers it once it is due, and a
 *   retry already due when it starts goes out at once. The receiver verifies every signature (`standardwebhooks`).
 * - Two processes scanning for expiring tokens every second: `token.expiring` (7 days before) is sent exactly once.
 * - Delivery latency with a healthy receiver (p50/p99), from the API's reply to the receiver's arrival.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startReceiver, type Receiver } from "../../packages/server/src/test-support/webhook-receiver.js";
import { Api, createDatabase, ensureBuilt, freePort, startServer, type E2eDatabase, type ServerProcess } from "./support.js";

const PUBLIC_URL = "http://latchkey.e2e.test";
const postgresUrl = inject("postgresUrl");
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

beforeAll(() => ensureBuilt(), 300_000);

describe.skipIf(!postgresUrl)("webhooks across processes on PostgreSQL", () => {
  let db: E2eDatabase;
  let rx: Receiver;
  const masterKey = randomBytes(32).toString("base64");
  const servers: ServerProcess[] = [];
  const start = async (name: string) => {
    const server = await startServer({
      name,
      port: await freePort(),
      publicUrl: PUBLIC_URL,
      databaseUrl: db.url,
      masterKey,
      env: { LATCHKEY_WEBHOOKS_ALLOW_PRIVATE: "true", LATCHKEY_WEBHOOKS_EXPIRY_SCAN_SECONDS: "1" },
    });
    servers.push(server);
    return server;
  };

  beforeAll(async () => {
    db = await createDatabase(postgresUrl!);
    rx = await startReceiver();
  }, 60_000);
  afterAll(async () => {
    for (const s of servers) await s.stop();
    await rx.close();
    await db?.drop();
  }, 30_000);

  it("a process killed mid-retry: the next process delivers when due, and at once when already due", async () => {
    const a = await start("a");
    const owner = await Api.signIn(a.url);
    await owner.ok("POST", "/v1/teams", { name: "Acme" });
    const hook = await owner.ok<{ id: string; secret: string }>("POST", "/v1/teams/acme/webhooks", {
      url: rx.url,
      events: ["token.created"],
    });
    rx.state.secret = hook.secret;
    rx.state.respond = () => 500;
    await owner.ok("POST", "/v1/teams/acme/tokens", { name: "one", roleId: "default" });
    const [first] = await rx.waitFor((r) => r.body.type === "token.created");
    await sleep(200); // the failed attempt is recorded (its retry is due 5 s later)
    a.child.kill("SIGKILL");
    await sleep(6000); // the retry falls due while no process runs
    rx.state.respond = () => 204;
    const b = await start("b");
    const startedAt = Date.now();
    const both = await rx.waitFor((r) => r.id === first!.id, 2, 5000);
    const resumedMs = both[1]!.at - startedAt;
    expect(both.every((r) => r.verified)).toBe(true);
    expect(resumedMs).toBeLessThan(2000);
    const ownerB = await Api.signIn(b.url);
    const { deliveries } = await ownerB.ok<{ deliveries: { id: string; status: string; attempt: number }[] }>(
      "GET",
      `/v1/teams/acme/webhooks/${hook.id}/deliveries`,
    );
    expect(deliveries[0]).toMatchObject({ id: first!.id, status: "delivered", attempt: 2 });
    process.stdout.write(`webhooks e2e: retry delivered ${resumedMs} ms after the new process answered /readyz (negative: before)\n`);
  }, 60_000);

  it("two processes scanning every second send token.expiring exactly once", async () => {
    const [a, b] = [servers[servers.length - 1]!, await start("c")];
    const owner = await Api.signIn(a.url);
    await owner.ok("POST", "/v1/teams", { name: "Expiry" });
    const hook = await owner.ok<{ secret: string }>("POST", "/v1/teams/expiry/webhooks", { url: rx.url, events: ["token.expiring"] });
    rx.state.secret = hook.secret;
    const expiresAt = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const { apiToken } = await owner.ok<{ apiToken: { id: string } }>("POST", "/v1/teams/expiry/tokens", {
      name: "soon",
      roleId: "default",
      expiresAt,
    });
    const mine = (r: { body: { type: string; data: Record<string, unknown> } }) =>
      r.body.type === "token.expiring" && (r.body.data["token"] as { id: string }).id === apiToken.id;
    await rx.waitFor(mine, 1, 5000);
    await sleep(3500); // both processes scan three more times
    expect(rx.received.filter(mine)).toHaveLength(1);
    expect(b.exited()).toBeNull();
  }, 60_000);

  it("delivery latency with a healthy receiver (p50/p99)", async () => {
    const a = servers[servers.length - 1]!;
    const owner = await Api.signIn(a.url);
    await owner.ok("POST", "/v1/teams", { name: "Latency" });
    const hook = await owner.ok<{ secret: string }>("POST", "/v1/teams/latency/webhooks", { url: rx.url, events: ["token.created"] });
    rx.state.secret = hook.secret;
    const latencies: number[] = [];
    for (let i = 0; i < 100; i++) {
      const { apiToken } = await owner.ok<{ apiToken: { id: string } }>("POST", "/v1/teams/latency/tokens", {
        name: `l${i}`,
        roleId: "default",
      });
      const replied = Date.now();
      const [got] = await rx.waitFor((r) => r.body.type === "token.created" && (r.body.data["token"] as { id: string }).id === apiToken.id);
      latencies.push(got!.at - replied);
    }
    latencies.sort((x, y) => x - y);
    const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
    process.stdout.write(`webhooks e2e: delivery latency p50 ${p(0.5)} ms, p99 ${p(0.99)} ms (n=${latencies.length})\n`);
    expect(p(0.5)).toBeLessThan(1000);
  }, 120_000);
});
