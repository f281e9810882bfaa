import { Worker } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import { writeRequests } from "../../test-support/audit.js";
import { dialects } from "../../test-support/databases.js";
import { startHarness, type Harness } from "../../test-support/harness.js";

/** Request events in the feed: the issue saw 1.3 s stalls with 400k; this many stall the old code for well over the bound. */
const EVENTS = 200_000;
/**
 * The one timing assertion of issue 20 (item 4), and a generous one: on the shared 2-core machine (load average 4 to 8
 * from other work) the slowest answer was 120 to 310 ms with the reads in slices, and 1.7 to 2.3 s on SQLite without
 * them; most of what remains is this process and the pinger thread waiting for a core, not the event loop.
 */
const MAX_HEALTHZ_MS = 400;

/**
 * Asks `/healthz` over HTTP, one request after another, from a thread of its own: its clock runs while the server's
 * event loop is busy, so a stall shows as the latency of the request waiting on it.
 */
const PINGER = `
const { parentPort, workerData } = require("node:worker_threads");
const http = require("node:http");
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let stop = false, max = 0, count = 0;
parentPort.on("message", () => { stop = true; });
const ping = () => new Promise((resolve, reject) => {
  const t0 = performance.now();
  http.get({ host: "127.0.0.1", port: workerData.port, path: "/healthz", agent }, (res) => {
    res.resume();
    res.on("end", () => resolve(performance.now() - t0));
  }).on("error", reject);
});
(async () => {
  while (!stop) {
    const ms = await ping();
    if (ms > max) max = ms;
    count++;
    if (count === 1) parentPort.postMessage({ started: true });
    await new Promise((r) => setTimeout(r, 2));
  }
  agent.destroy();
  parentPort.postMessage({ max, count });
})();
`;

/** A GET over real HTTP, read as it streams: the body's lines are counted, not kept (an export is tens of MB). */
async function getOverHttp(port: number, cookie: string, path: string): Promise<{ status: number; lines: number; first: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { cookie } });
  let lines = 0;
  let first = "";
  if (!res.body) throw new Error(`no body for ${path}`);
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    if (first.length < 4096) first += Buffer.from(chunk).toString("utf8");
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
  }
  return { status: res.status, lines, first };
}

describe.each(dialects())("audit reads and the event loop on %s", (kind) => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it(`keeps /healthz under ${MAX_HEALTHZ_MS} ms while a default member verifies and exports a feed of ${EVENTS} requests`, async () => {
    h = await startHarness(kind);
    const harness = h;
    await harness.owner.ok("POST", "/v1/teams", { name: "Acme" });
    const made = await harness.owner.ok<{ apiToken: { id: string } }>("POST", "/v1/teams/acme/tokens", { name: "busy", roleId: "default" });
    await harness.join(harness.owner, "/v1/teams/acme", ["default"], "member@example.com", "member password 1234");
    const signedIn = await harness.app.inject({
      method: "POST",
      url: "/v1/session",
      payload: { email: "member@example.com", password: "member password 1234" },
    });
    const cookie = `latchkey_session=${signedIn.cookies.find((c) => c.name === "latchkey_session")?.value ?? ""}`;
    await writeRequests(harness, made.apiToken.id, EVENTS);

    await harness.app.listen({ port: 0, host: "127.0.0.1" });
    const address = harness.app.server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const pinger = new Worker(PINGER, { eval: true, workerData: { port } });
    const messages: { started?: boolean; max?: number; count?: number }[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      pinger.on("message", (m: (typeof messages)[number]) => {
        messages.push(m);
        if (m.count !== undefined) resolve();
      });
      pinger.on("error", reject);
    });
    const deadline = Date.now() + 10_000;
    while (!messages.some((m) => m.started)) {
      if (Date.now() > deadline) throw new Error("the pinger never reached /healthz");
      await new Promise((r) => setTimeout(r, 5));
    }

    const [verify, exported] = await Promise.all([
      getOverHttp(port, cookie, "/v1/teams/acme/audit-logs/verify"),
      getOverHttp(port, cookie, "/v1/teams/acme/audit-logs?format=jsonl&eventType=request"),
    ]);
    pinger.postMessage("stop");
    await ended;
    await pinger.terminate();
    const { max = Infinity, count = 0 } = messages.find((m) => m.count !== undefined) ?? {};

    expect(verify.status).toBe(200);
    const check = (JSON.parse(verify.first) as { data: { ok: boolean; checked: number } }).data;
    expect(check.ok).toBe(true);
    expect(check.checked).toBeGreaterThanOrEqual(EVENTS);
    expect(exported.status).toBe(200);
    expect(exported.lines).toBe(EVENTS);
    console.info(`${kind}: /healthz answered ${count} times while verifying and exporting, slowest ${max.toFixed(1)} ms`);
    expect(max).toBeLessThan(MAX_HEALTHZ_MS);
    expect(count).toBeGreaterThan(10);
  }, 180_000);
});
