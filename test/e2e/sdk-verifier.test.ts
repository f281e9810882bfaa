/**
 * End to end: the SDK verifier (@latchkey/sdk/verifier) against real Latchkey processes.
 *
 * - SQLite, one process: first sight asks /v1/auth/check once (shared by concurrent callers), then memory; a revocation,
 *   a role edit and an API permission deleted through the API are refused on the service's next request (once the
 *   event arrived: polled, deadline 2 s); a token's IP allow-list is held from memory on every call, and its edit
 *   reaches the cache; malformed, huge and forged tokens are NOT_FOUND; the process stopped: verify fails closed
 *   within the grace.
 * - PostgreSQL, two processes: the verifier streams from and checks with B, changes go through A; B stopped: fails
 *   closed within the grace; B back on its port: answers again.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import Fastify from "fastify";
import { latchkeyPlugin, requireToken, type ExpressLikeRequest } from "../../packages/sdk/src/middleware/index.js";
import { createVerifier, VerifierUnavailableError, type Verifier, type VerifyResult } from "../../packages/sdk/src/verifier/index.js";
import { Api, createDatabase, ensureBuilt, freePort, startServer, type E2eDatabase, type ServerProcess } from "./support.js";

const TEAM = "acme";
const PUBLIC_URL = "http://latchkey.e2e.test";
const GRACE_MS = 300;
const DEADLINE_MS = 2000;
const postgresUrl = inject("postgresUrl");
const READ = ["billing:invoices.read"];

beforeAll(() => ensureBuilt(), 300_000);

/** A verifier whose check calls are counted. */
function counted(url: string, token: string): { verifier: Verifier; checks: () => number } {
  let n = 0;
  const verifier = createVerifier({
    url,
    token,
    graceMs: GRACE_MS,
    timeoutMs: 1000,
    fetch: (input, init) => {
      if (typeof input === "string" && input.endsWith("/v1/auth/check")) n++;
      return fetch(input, init);
    },
  });
  return { verifier, checks: () => n };
}

async function until(what: string, probe: () => Promise<boolean>, deadlineMs = DEADLINE_MS): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await probe()) return Date.now() - start;
    if (Date.now() - start > deadlineMs) throw new Error(`${what}: not within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const refused = (v: Verifier, token: string, permissions = READ) =>
  v.verify(token, { permissions }).then(
    (r: VerifyResult) => !r.valid,
    (e: unknown) => !(e instanceof VerifierUnavailableError),
  );

async function setUp(owner: Api) {
  await owner.ok("POST", "/v1/teams", { name: "Acme" });
  await owner.ok("POST", `/v1/teams/${TEAM}/apis`, { name: "Billing", permissions: [{ id: "invoices.read" }, { id: "invoices.write" }] });
  await owner.ok("POST", `/v1/teams/${TEAM}/roles`, { name: "Service", permissions: { teamScope: ["team.read", "team.apis.verify"] } });
  await owner.ok("POST", `/v1/teams/${TEAM}/roles`, {
    name: "Billing reader",
    permissions: { teamScope: ["team.read"], apiScope: ["billing:invoices.read"] },
  });
  const service = await owner.ok<{ token: string }>("POST", `/v1/teams/${TEAM}/tokens`, { name: "billing service", roleId: "service" });
  return service.token;
}
const mint = (owner: Api, name: string) =>
  owner.ok<{ token: string; apiToken: { id: string } }>("POST", `/v1/teams/${TEAM}/tokens`, { name, roleId: "billing-reader" });

describe("SDK verifier against one Latchkey process on SQLite", () => {
  let server: ServerProcess | undefined;
  let owner: Api;
  let serviceToken: string;
  let v: ReturnType<typeof counted>;

  beforeAll(async () => {
    server = await startServer({
      name: "sdk-sqlite",
      port: await freePort(),
      publicUrl: PUBLIC_URL,
      env: { LATCHKEY_RATE_LIMIT_PER_HOUR: "1000000" },
    });
    owner = await Api.signIn(server.url);
    serviceToken = await setUp(owner);
    v = counted(server.url, serviceToken);
    await until("stream up", () => Promise.resolve(v.verifier.streaming()));
  }, 60_000);
  afterAll(async () => {
    v?.verifier.close();
    await server?.stop();
  }, 20_000);

  it("first sight asks once (shared by concurrent callers), then answers from memory", async () => {
    const { token, apiToken } = await mint(owner, "reader");
    const before = v.checks();
    const first = await Promise.all([1, 2, 3, 4, 5].map(() => v.verifier.verify(token, { permissions: READ })));
    expect(v.checks() - before).toBe(1);
    expect(first[0]).toMatchObject({
      valid: true,
      code: "VALID",
      token: { id: apiToken.id, entityId: TEAM, role: { id: "billing-reader" } },
    });
    for (let i = 0; i < 100; i++) expect((await v.verifier.verify(token, { permissions: READ })).valid).toBe(true);
    expect(v.checks() - before).toBe(1);
    const lacking = await v.verifier.verify(token, { permissions: ["billing:invoices.write"] });
    expect(lacking).toMatchObject({ valid: false, code: "INSUFFICIENT_PERMISSIONS", missing: ["billing:invoices.write"] });
  });

  it("a revocation through the API: refused on the next request once the event arrived", async () => {
    const { token, apiToken } = await mint(owner, "to revoke");
    expect((await v.verifier.verify(token, { permissions: READ })).valid).toBe(true);
    await owner.ok("DELETE", `/v1/teams/${TEAM}/tokens/${apiToken.id}`);
    await until("revocation reaches the verifier", () => refused(v.verifier, token));
    expect(await v.verifier.verify(token, { permissions: READ })).toMatchObject({ valid: false, code: "REVOKED" });
  });

  it("a role edit, then an API permission deleted: refused on the next request", async () => {
    const { token } = await mint(owner, "role edit");
    expect((await v.verifier.verify(token, { permissions: READ })).valid).toBe(true);
    await owner.ok("PATCH", `/v1/teams/${TEAM}/roles/billing-reader`, { permissions: { teamScope: ["team.read"], apiScope: [] } });
    await until("role edit reaches the verifier", () => refused(v.verifier, token));
    await owner.ok("PATCH", `/v1/teams/${TEAM}/roles/billing-reader`, {
      permissions: { teamScope: ["team.read"], apiScope: ["billing:invoices.read"] },
    });
    await until("role restored", async () => (await v.verifier.verify(token, { permissions: READ })).valid);
    await owner.ok("PATCH", `/v1/teams/${TEAM}/apis/billing`, { permissions: [{ id: "invoices.write" }] });
    await until("API edit reaches the verifier", () => refused(v.verifier, token));
    await owner.ok("PATCH", `/v1/teams/${TEAM}/apis/billing`, { permissions: [{ id: "invoices.read" }, { id: "invoices.write" }] });
    // deleting the permission took it out of the role too: give it back
    await owner.ok("PATCH", `/v1/teams/${TEAM}/roles/billing-reader`, {
      permissions: { teamScope: ["team.read"], apiScope: ["billing:invoices.read"] },
    });
  });

  it("malformed, huge and forged tokens: NOT_FOUND, never a throw", async () => {
    const { token } = await mint(owner, "forge base");
    const [h, p] = token.split(".");
    const forged = `${h}.${p}.${Buffer.from(randomBytes(64)).toString("base64url")}`;
    for (const bad of ["", "garbage", "a.b.c", "x".repeat(100_000), forged, `${token}x`]) {
      expect((await v.verifier.verify(bad, { permissions: READ })).code).toBe("NOT_FOUND");
    }
  });

  it("the Fastify plugin: per-route permission, 401/403 in Latchkey's error shape, the decision on the request", async () => {
    const service = Fastify();
    await service.register(latchkeyPlugin, { verifier: v.verifier });
    service.get("/open", { config: { latchkey: false } }, () => ({ open: true }));
    service.get("/invoices", { config: { latchkey: { permissions: READ } } }, (req) => ({
      tokenId: (req as { latchkey?: VerifyResult }).latchkey?.token?.id,
    }));
    service.post("/invoices", { config: { latchkey: { permissions: ["billing:invoices.write"] } } }, () => ({ ok: true }));
    const { token, apiToken } = await mint(owner, "fastify");
    const get = (url: string, auth?: string, method: "GET" | "POST" = "GET") =>
      service.inject({ method, url, headers: auth ? { authorization: auth } : {} });
    expect((await get("/open")).statusCode).toBe(200);
    const none = await get("/invoices");
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ error: { status: 401, code: "UNAUTHENTICATED" } });
    expect((await get("/invoices", "Bearer garbage")).statusCode).toBe(401);
    const ok = await get("/invoices", `Bearer ${token}`);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ tokenId: apiToken.id });
    const forbidden = await get("/invoices", `Bearer ${token}`, "POST");
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json()).toMatchObject({ error: { code: "FORBIDDEN", details: { missing: ["billing:invoices.write"] } } });
    await owner.ok("DELETE", `/v1/teams/${TEAM}/tokens/${apiToken.id}`);
    await until("refused by the service", async () => (await get("/invoices", `Bearer ${token}`)).statusCode === 401);
    expect((await get("/invoices", `Bearer ${token}`)).json()).toMatchObject({ error: { code: "TOKEN_REVOKED" } });
    await service.close();
  });

  it("the Express middleware (called as Express calls it): next() with req.latchkey, or 401/403 replies", async () => {
    const guard = requireToken(v.verifier, READ);
    const run = (authorization?: string) =>
      new Promise<{ status?: number; body?: unknown; latchkey?: VerifyResult }>((resolve) => {
        const req: ExpressLikeRequest = { headers: authorization ? { authorization } : {} };
        const out: { status?: number; body?: unknown } = {};
        const res = {
          status(code: number) {
            out.status = code;
            return res;
          },
          json(body: unknown) {
            out.body = body;
            resolve(out);
            return res;
          },
        };
        guard(req, res, () => resolve({ latchkey: req.latchkey! }));
      });
    const { token, apiToken } = await mint(owner, "express");
    expect((await run(`Bearer ${token}`)).latchkey?.token?.id).toBe(apiToken.id);
    expect(await run()).toMatchObject({ status: 401, body: { error: { code: "UNAUTHENTICATED" } } });
    const writer = requireToken(v.verifier, ["billing:invoices.write"]);
    const refusedWrite = await new Promise<number>((resolve) => {
      const res = { status: (code: number) => (resolve(code), res), json: () => res };
      writer({ headers: { authorization: `Bearer ${token}` } }, res, () => resolve(200));
    });
    expect(refusedWrite).toBe(403);
  });

  it("an IP allow-list: held from memory on every call (allowed, then elsewhere: refused without a check); a PATCH of it reaches the cache", async () => {
    const { token, apiToken } = await owner.ok<{ token: string; apiToken: { id: string } }>("POST", `/v1/teams/${TEAM}/tokens`, {
      name: "fenced",
      roleId: "billing-reader",
      allowedIps: ["203.0.113.0/24"],
    });
    const before = v.checks();
    expect(await v.verifier.verify(token, { permissions: READ, ip: "203.0.113.5" })).toMatchObject({
      valid: true,
      token: { id: apiToken.id, allowedIps: ["203.0.113.0/24"] },
    });
    expect(await v.verifier.verify(token, { permissions: READ, ip: "198.51.100.1" })).toMatchObject({
      valid: false,
      code: "IP_NOT_ALLOWED",
    });
    expect((await v.verifier.verify(token, { permissions: READ, ip: "203.0.113.6" })).valid).toBe(true);
    expect(v.checks() - before).toBe(1);
    // First sight from outside (another permission list): Latchkey refuses it and records it on the token's feed.
    expect((await v.verifier.verify(token, { ip: "198.51.100.1" })).code).toBe("IP_NOT_ALLOWED");
    expect(v.checks() - before).toBe(2);
    await until("the refusal in the token's feed", async () => {
      const feed = await owner.ok<{ auditLogs: { details: { code?: string; clientIp?: string } }[] }>(
        "GET",
        `/v1/teams/${TEAM}/tokens/${apiToken.id}/audit-logs?eventType=auth.check`,
      );
      return feed.auditLogs.some((e) => e.details.code === "IP_NOT_ALLOWED" && e.details.clientIp === "198.51.100.1");
    });
    // The list moved (token.updated): the old address is refused, the new one allowed, once the event arrived.
    await owner.ok("PATCH", `/v1/teams/${TEAM}/tokens/${apiToken.id}`, { allowedIps: ["198.51.100.0/24"] });
    await until(
      "allow-list edit reaches the verifier",
      async () => (await v.verifier.verify(token, { permissions: READ, ip: "198.51.100.1" })).valid,
    );
    expect((await v.verifier.verify(token, { permissions: READ, ip: "203.0.113.5" })).code).toBe("IP_NOT_ALLOWED");

    // The middleware hold the list to the request's address.
    const service = Fastify();
    await service.register(latchkeyPlugin, { verifier: v.verifier });
    service.get("/invoices", { config: { latchkey: { permissions: READ } } }, () => ({ ok: true }));
    const from = (remoteAddress: string) =>
      service.inject({ method: "GET", url: "/invoices", remoteAddress, headers: { authorization: `Bearer ${token}` } });
    expect((await from("198.51.100.9")).statusCode).toBe(200);
    const elsewhere = await from("203.0.113.5");
    expect(elsewhere.statusCode).toBe(403);
    expect(elsewhere.json()).toMatchObject({ error: { code: "IP_NOT_ALLOWED" } });
    await service.close();
    const guard = requireToken(v.verifier, READ);
    const express = (ip: string | undefined) =>
      new Promise<number>((resolve) => {
        const res = { status: (code: number) => (resolve(code), res), json: () => res };
        guard({ headers: { authorization: `Bearer ${token}` }, ip }, res, () => resolve(200));
      });
    expect(await express("198.51.100.9")).toBe(200);
    expect(await express("203.0.113.5")).toBe(403);
    expect(await express(undefined)).toBe(403); // no address known: no allow-list is satisfied
  });

  it("the Latchkey process stopped: no valid:true beyond the grace; verify fails closed", async () => {
    const { token } = await mint(owner, "outage");
    expect((await v.verifier.verify(token, { permissions: READ })).valid).toBe(true);
    const stoppedAt = Date.now();
    await server!.stop();
    server = undefined;
    await until(
      "fails closed",
      () =>
        v.verifier.verify(token, { permissions: READ }).then(
          () => false,
          (e: unknown) => e instanceof VerifierUnavailableError,
        ),
      GRACE_MS + DEADLINE_MS,
    );
    expect(Date.now() - stoppedAt).toBeLessThan(GRACE_MS + DEADLINE_MS);
    await expect(v.verifier.verify(token, { permissions: READ })).rejects.toThrow(/did not answer/);
  });
});

for (const adminUrl of postgresUrl ? [postgresUrl] : []) {
  describe("SDK verifier against two Latchkey processes on PostgreSQL", () => {
    let db: E2eDatabase | undefined;
    let a: ServerProcess | undefined;
    let b: ServerProcess | undefined;
    let ownerA: Api;
    let v: ReturnType<typeof counted>;
    let common: { databaseUrl: string; masterKey: string; publicUrl: string };
    let portB = 0;

    beforeAll(async () => {
      db = await createDatabase(adminUrl);
      common = { databaseUrl: db.url, masterKey: randomBytes(32).toString("base64"), publicUrl: PUBLIC_URL };
      const env = { LATCHKEY_RATE_LIMIT_PER_HOUR: "1000000" };
      a = await startServer({ ...common, name: "A", port: await freePort(), env });
      portB = await freePort();
      b = await startServer({ ...common, name: "B", port: portB, env });
      ownerA = await Api.signIn(a.url);
      v = counted(b.url, await setUp(ownerA));
      await until("stream up", () => Promise.resolve(v.verifier.streaming()));
    }, 90_000);
    afterAll(async () => {
      v?.verifier.close();
      await Promise.all([a?.stop(), b?.stop()]);
      await db?.drop();
    }, 30_000);

    it("revocation and role edit through A reach the verifier streaming from B", async () => {
      const { token, apiToken } = await mint(ownerA, "pg revoke");
      expect((await v.verifier.verify(token, { permissions: READ })).valid).toBe(true);
      const n = v.checks();
      expect((await v.verifier.verify(token, { permissions: READ })).valid).toBe(true);
      expect(v.checks()).toBe(n);
      await ownerA.ok("DELETE", `/v1/teams/${TEAM}/tokens/${apiToken.id}`);
      await until("revocation through A", () => refused(v.verifier, token));

      const other = await mint(ownerA, "pg role");
      expect((await v.verifier.verify(other.token, { permissions: READ })).valid).toBe(true);
      await ownerA.ok("PATCH", `/v1/teams/${TEAM}/roles/billing-reader`, { permissions: { teamScope: ["team.read"], apiScope: [] } });
      await until("role edit through A", () => refused(v.verifier, other.token));
      await ownerA.ok("PATCH", `/v1/teams/${TEAM}/roles/billing-reader`, {
        permissions: { teamScope: ["team.read"], apiScope: ["billing:invoices.read"] },
      });
    });

    it("B stopped: fails closed within the grace; B back: answers again", async () => {
      const { token } = await mint(ownerA, "pg outage");
      expect((await v.verifier.verify(token, { permissions: READ })).valid).toBe(true);
      await b!.stop();
      await until(
        "fails closed",
        () =>
          v.verifier.verify(token, { permissions: READ }).then(
            () => false,
            (e: unknown) => e instanceof VerifierUnavailableError,
          ),
        GRACE_MS + DEADLINE_MS,
      );
      b = await startServer({ ...common, name: "B2", port: portB, env: { LATCHKEY_RATE_LIMIT_PER_HOUR: "1000000" } });
      await until(
        "answers again",
        async () => (await v.verifier.verify(token, { permissions: READ }).catch(() => ({ valid: false }))).valid,
        10_000,
      );
      await until("stream back", () => Promise.resolve(v.verifier.streaming()), 10_000);
    }, 60_000);
  });
}
