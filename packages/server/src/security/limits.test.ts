import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_LISTENER_LIMITS, MAX_JSON_DEPTH, nestedDeeperThan } from "../http/limits.js";
import { startHarness, type Harness } from "../test-support/harness.js";
import { listen, rawRequest } from "./support.js";
import { waitFor } from "../test-support/refusals.js";

// Issue #7, item 6: what a hostile client can send is bounded: header section, body, JSON nesting, and how long a
// request may take to arrive. Every refusal is a clear 4xx (or Node's own 408/431 at the socket) and changes nothing.
// These limits are properties of the HTTP layer, not of the database: SQLite is enough.

const nested = (depth: number, inner = "1"): string => `${'{"a":'.repeat(depth)}${inner}${"}".repeat(depth)}`;
const nestedArrays = (depth: number): string => `${"[".repeat(depth)}${"]".repeat(depth)}`;

describe("nestedDeeperThan", () => {
  it("counts objects and arrays, and ignores brackets inside strings", () => {
    expect(nestedDeeperThan(nested(32), 32)).toBe(false);
    expect(nestedDeeperThan(nested(33), 32)).toBe(true);
    expect(nestedDeeperThan(nestedArrays(33), 32)).toBe(true);
    expect(nestedDeeperThan(`{"a":"${"[".repeat(1000)}"}`, 32)).toBe(false);
    expect(nestedDeeperThan(`{"a":"\\"${"{".repeat(100)}"}`, 32)).toBe(false);
    expect(nestedDeeperThan(`[${"[],".repeat(1000)}[]]`, 32)).toBe(false);
  });
});

describe("request limits", () => {
  let h: Harness;
  let port: number;
  let session: { cookie: string; csrf: string };
  const post = (url: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    rawRequest(port, {
      method: "POST",
      path: url,
      body,
      headers: { "content-type": "application/json", cookie: session.cookie, "x-csrf-token": session.csrf, ...headers },
    });
  const projectIds = async () =>
    (await h.owner.ok<{ projects: { id: string }[] }>("GET", "/v1/teams/alpha/projects")).projects.map((p) => p.id);

  beforeAll(async () => {
    h = await startHarness("sqlite");
    await h.owner.ok("POST", "/v1/teams", { name: "Alpha" });
    const res = await h.app.inject({
      method: "POST",
      url: "/v1/session",
      payload: { email: "owner@example.com", password: "correct horse battery staple" },
    });
    session = {
      cookie: `latchkey_session=${res.cookies.find((c) => c.name === "latchkey_session")?.value ?? ""}`,
      csrf: (JSON.parse(res.body) as { data: { csrfToken: string } }).data.csrfToken,
    };
    port = await listen(h);
  });
  afterAll(() => h.close());

  it("the real listener has a request timeout, a headers timeout within it, and a 16 KiB header limit", async () => {
    expect(h.app.server.requestTimeout).toBe(DEFAULT_LISTENER_LIMITS.requestTimeoutMs);
    expect(h.app.server.headersTimeout).toBe(DEFAULT_LISTENER_LIMITS.headersTimeoutMs);
    expect(h.app.server.requestTimeout).toBeGreaterThan(0);
    expect(h.app.server.headersTimeout).toBeLessThanOrEqual(h.app.server.requestTimeout);
    expect((await rawRequest(port, { path: "/healthz", headers: { "x-pad": "p".repeat(15 * 1024) } })).status).toBe(200);
  });

  it("header sections past 16 KiB are 431: one big header, many headers, a long URL, a long token", async () => {
    const many = Object.fromEntries(Array.from({ length: 800 }, (_, i) => [`x-h${i}`, "v".repeat(20)]));
    for (const req of [
      { path: "/healthz", headers: { "x-pad": "p".repeat(17 * 1024) } },
      { path: "/healthz", headers: many },
      { path: `/v1/teams/${"a".repeat(17 * 1024)}` },
      { path: "/v1/teams", headers: { authorization: `Bearer ${"e".repeat(20 * 1024)}` } },
      { path: "/v1/teams", headers: { cookie: `latchkey_session=${"c".repeat(20 * 1024)}` } },
    ]) {
      expect((await rawRequest(port, req)).status).toBe(431);
    }
    expect((await rawRequest(port, { path: "/healthz" })).status).toBe(200);
  });

  it("bodies past 1 MiB are 413, with or without a content-length, and nothing is created", async () => {
    const big = JSON.stringify({ name: "big", description: "d".repeat(1024 * 1024) });
    const declared = await post("/v1/teams/alpha/projects", big);
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body)).toMatchObject({ error: { code: "PAYLOAD_TOO_LARGE", status: 413 } });
    const chunked = await post("/v1/teams/alpha/projects", big, { "transfer-encoding": "chunked" });
    expect(chunked.status).toBe(413);
    // Unauthenticated senders are refused the same way, before anything reads their body into a handler.
    expect(
      (await rawRequest(port, { method: "POST", path: "/v1/session", body: big, headers: { "content-type": "application/json" } })).status,
    ).toBe(413);
    expect(await projectIds()).not.toContain("big");
    // Just under the limit is read, and refused by the schema instead (a description is at most 1000 characters).
    const under = await post("/v1/teams/alpha/projects", JSON.stringify({ name: "under", description: "d".repeat(1000 * 1000) }));
    expect(under.status).toBe(400);
    expect(await projectIds()).not.toContain("under");
  });

  it(`JSON nested deeper than ${MAX_JSON_DEPTH} levels is 400, however deep, and nothing is created`, async () => {
    for (const body of [
      nested(MAX_JSON_DEPTH + 1),
      JSON.stringify({ name: "deep", description: "x", extra: JSON.parse(nested(40)) as unknown }),
      nestedArrays(100_000),
      nested(100_000),
      `{"name":"deep","description":${nestedArrays(200_000)}}`,
    ]) {
      const res = await post("/v1/teams/alpha/projects", body);
      expect(res.status, body.slice(0, 40)).toBe(400);
      expect(res.body).toContain("VALIDATION_FAILED");
    }
    // Depth within the limit reaches the schema, which says what is wrong with it.
    const shallow = await post(
      "/v1/teams/alpha/projects",
      JSON.stringify({ name: "deep", description: JSON.parse(nested(20)) as unknown }),
    );
    expect(shallow.status).toBe(400);
    expect(JSON.parse(shallow.body)).toMatchObject({ error: { details: { fields: { description: expect.any(String) as unknown } } } });
    expect(await projectIds()).not.toContain("deep");
    expect((await rawRequest(port, { path: "/healthz" })).status).toBe(200);
  });

  it("prototype poisoning, bad JSON, bad UTF-8 and other content types are 4xx and change nothing", async () => {
    const cases: [string | Buffer, Record<string, string>, number][] = [
      ['{"name":"proto","__proto__":{"admin":true}}', {}, 400],
      ['{"name":"ctor","constructor":{"prototype":{"admin":true}}}', {}, 400],
      ['{"name":"trailing",}', {}, 400],
      ['{"name":"dup","name":"dup2"}', {}, 200],
      [Buffer.concat([Buffer.from('{"name":"utf'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]), {}, 400],
      ["", {}, 400],
      ["null", {}, 400],
      ["[]", {}, 400],
      ['"name"', {}, 400],
      ["name=form", { "content-type": "application/x-www-form-urlencoded" }, 415],
      ['{"name":"text"}', { "content-type": "text/plain" }, 400],
      ['{"name":"nocontenttype"}', { "content-type": "" }, 415],
    ];
    for (const [body, headers, status] of cases) {
      const res = await post("/v1/teams/alpha/projects", body, headers);
      expect(res.status, String(body).slice(0, 40)).toBe(status);
    }
    const ids = await projectIds();
    for (const id of ["proto", "ctor", "trailing", "utf", "form", "text", "nocontenttype"]) expect(ids).not.toContain(id);
    // The duplicate key is read as JSON.parse reads it (the last wins); nothing else was created.
    expect(ids).toContain("dup2");
    expect(({} as Record<string, unknown>)["admin"]).toBeUndefined();
  });

  it("long path parameters, page sizes and cursors are bounded", async () => {
    const long = await rawRequest(port, { path: `/v1/teams/${"a".repeat(200)}`, headers: { cookie: session.cookie } });
    expect(long.status).toBe(414);
    for (const q of ["per_page=101", "per_page=0", "per_page=-1", "per_page=1e9", `cursor=${"c".repeat(600)}`, "per_page=1&per_page=2"]) {
      const res = await rawRequest(port, { path: `/v1/teams/alpha/projects?${q}`, headers: { cookie: session.cookie } });
      expect(res.status, q).toBe(400);
    }
  });
});

/** Opens a socket and returns it with a promise of when (ms after opening) the server closed it, and what it said. */
function openSocket(port: number): { socket: Socket; closed: Promise<{ afterMs: number; reply: string }> } {
  const started = Date.now();
  const socket = connect(port, "127.0.0.1");
  let reply = "";
  socket.on("data", (d: Buffer) => (reply += d.toString("latin1")));
  socket.on("error", () => undefined);
  const closed = new Promise<{ afterMs: number; reply: string }>((resolve) =>
    socket.on("close", () => resolve({ afterMs: Date.now() - started, reply })),
  );
  return { socket, closed };
}

describe("slow clients", () => {
  let h: Harness;
  let port: number;
  const limits = { requestTimeoutMs: 1500, headersTimeoutMs: 700, checkIntervalMs: 100 };
  beforeAll(async () => {
    h = await startHarness("sqlite", {}, { limits });
    port = await listen(h);
  });
  afterAll(() => h.close());

  /** Writes `chunks` one every `everyMs` until the socket closes; returns when and how it closed. */
  async function trickle(first: string, chunk: string, everyMs = 100) {
    const { socket, closed } = openSocket(port);
    socket.write(first);
    const timer = setInterval(() => {
      if (!socket.destroyed) socket.write(chunk);
    }, everyMs);
    try {
      return await closed;
    } finally {
      clearInterval(timer);
    }
  }

  it("a client trickling its headers is cut off at the headers timeout with 408", async () => {
    const { afterMs, reply } = await trickle("GET /healthz HTTP/1.1\r\nHost: latchkey.test\r\n", "x-slow: 1\r\n");
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
    expect(afterMs).toBeGreaterThanOrEqual(limits.headersTimeoutMs - 50);
    expect(afterMs).toBeLessThan(limits.headersTimeoutMs + 2000);
  });

  it("a client trickling its body is cut off at the request timeout with 408, and nothing reaches a handler", async () => {
    const before = (await h.services.store.users.count()) + (await h.owner.ok<{ teams: unknown[] }>("GET", "/v1/teams")).teams.length;
    const body = JSON.stringify({ email: "owner@example.com", password: "correct horse battery staple" });
    const head = `POST /v1/session HTTP/1.1\r\nHost: latchkey.test\r\nContent-Type: application/json\r\nContent-Length: ${body.length + 1000}\r\n\r\n`;
    const { afterMs, reply } = await trickle(head + body.slice(0, 5), " ");
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
    expect(reply).not.toContain("latchkey_session=");
    expect(afterMs).toBeLessThan(limits.requestTimeoutMs + 2000);
    const after = (await h.services.store.users.count()) + (await h.owner.ok<{ teams: unknown[] }>("GET", "/v1/teams")).teams.length;
    expect(after).toBe(before);
  });

  it("a client that connects and sends nothing is closed too", async () => {
    const { closed } = openSocket(port);
    const { afterMs } = await closed;
    expect(afterMs).toBeLessThan(limits.requestTimeoutMs + 2000);
  });

  it("an idle keep-alive connection (a load balancer's) is not cut by the headers timeout between requests", async () => {
    const { socket, closed } = openSocket(port);
    let received = "";
    socket.on("data", (d: Buffer) => (received += d.toString("latin1")));
    const request = "GET /healthz HTTP/1.1\r\nHost: latchkey.test\r\nConnection: keep-alive\r\n\r\n";
    const responses = () => received.split("HTTP/1.1 ").length - 1;
    socket.write(request);
    await waitFor(() => responses() === 1);
    // Idle for longer than the headers timeout and the request timeout, then a second request on the same socket.
    await new Promise((r) => setTimeout(r, limits.requestTimeoutMs + 500));
    expect(socket.destroyed).toBe(false);
    socket.write(request);
    expect(await waitFor(() => responses() === 2, 3000)).toBe(true);
    expect(received.match(/HTTP\/1\.1 (\d+)/g)).toEqual(["HTTP/1.1 200", "HTTP/1.1 200"]);
    socket.end();
    await closed;
  });

  it("the slow clients leave nothing held afterwards: no connection stays open, and the process answers normally", async () => {
    // What "afterwards" needs is that every cut-off socket is gone from the server, not a speed: count them.
    const open = () => new Promise<number>((resolve, reject) => h.app.server.getConnections((e, n) => (e ? reject(e) : resolve(n))));
    expect(await waitFor(async () => (await open()) === 0), `connections still open: ${await open()}`).toBe(true);
    expect((await rawRequest(port, { path: "/healthz" })).status).toBe(200);
  });
});
