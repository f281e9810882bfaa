import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { events } from "../../test-support/audit.js";
import { dialects } from "../../test-support/databases.js";
import { OWNER_EMAIL, OWNER_PASSWORD, startHarness, type Harness } from "../../test-support/harness.js";

interface Forward {
  status: number;
  body: string;
  headers: Record<string, unknown>;
}

/** One forward-auth subrequest as a gateway sends it. */
async function forward(
  h: Harness,
  options: {
    token?: string;
    url?: string;
    method?: "GET" | "POST" | "DELETE";
    headers?: Record<string, string>;
    peer?: string;
    payload?: string;
  },
): Promise<Forward> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers["authorization"] = `Bearer ${options.token}`;
  const res = await h.app.inject({
    method: options.method ?? "GET",
    url: options.url ?? "/v1/auth/forward",
    headers,
    ...(options.peer ? { remoteAddress: options.peer } : {}),
    ...(options.payload !== undefined ? { payload: options.payload } : {}),
  });
  return { status: res.statusCode, body: res.body, headers: res.headers };
}

const tokenOf = async (h: Harness, team: string, roleId: string, name = "gateway client") => {
  const created = await h.owner.ok<{ token: string; apiToken: { id: string } }>("POST", `/v1/teams/${team}/tokens`, { name, roleId });
  return { token: created.token, id: created.apiToken.id };
};

describe.each(dialects())("forward auth on %s", (kind) => {
  let h: Harness;
  let reader: { token: string; id: string };
  beforeAll(async () => {
    h = await startHarness(kind);
    await h.owner.ok("POST", "/v1/teams", { name: "Acme" });
    reader = await tokenOf(h, "acme", "default");
  });
  afterAll(() => h.close());

  it("allows a token holding the permission: exactly 200, empty body, the identity and rate-limit headers", async () => {
    const res = await forward(h, {
      token: reader.token,
      url: "/v1/auth/forward?permission=project.read",
      headers: { "x-forwarded-method": "GET", "x-forwarded-uri": "/invoices/42?secret=x", "x-forwarded-for": "203.0.113.9" },
    });
    expect(res.status).toBe(200);
    expect(res.body).toBe("");
    expect(res.headers).toMatchObject({
      "x-latchkey-token-id": reader.id,
      "x-latchkey-token-name": "gateway client",
      "x-latchkey-entity": "team:acme",
      "x-latchkey-role": "default",
      "x-ratelimit-limit": expect.any(String) as unknown,
      "x-ratelimit-remaining": expect.any(String) as unknown,
    });
  });

  it("records every decision in the token's feed as auth.forward with the original method, path and permissions", async () => {
    const { token, id } = await tokenOf(h, "acme", "default", "audited");
    await forward(h, {
      token,
      url: "/v1/auth/forward?permission=project.read",
      headers: { "x-original-method": "DELETE", "x-original-uri": "/orders/7?token=hidden", "user-agent": "nginx-subrequest" },
    });
    await forward(h, {
      token,
      url: "/v1/auth/forward/things/9?x=1",
      method: "POST",
      headers: { "x-latchkey-permission": "project.delete" },
    });
    await h.services.audit.buffer.flush();
    const feed = await events(h.owner, `/v1/teams/acme/tokens/${id}/audit-logs?eventType=auth.forward`);
    const byPath = Object.fromEntries(feed.map((e) => [e.path, e]));
    expect(byPath["/orders/7"]).toMatchObject({
      eventType: "auth.forward",
      method: "DELETE",
      status: 200,
      outcome: "allowed",
      ip: "127.0.0.1",
      userAgent: "nginx-subrequest",
    });
    // With the key the request presented (issue 21.3: which key made each request).
    const { keys } = await h.owner.ok<{ keys: { id: string }[] }>("GET", `/v1/teams/acme/tokens/${id}`);
    const keyId = keys[0]?.id;
    expect(byPath["/orders/7"]?.details).toEqual({ door: "forward", permissions: ["project.read"], keyId });
    // Envoy's path_prefix: the method and the path after the prefix; refused for want of project.delete.
    expect(byPath["/things/9"]).toMatchObject({ method: "POST", status: 403, outcome: "denied" });
    expect(byPath["/things/9"]?.details).toEqual({ door: "forward", permissions: ["project.delete"], keyId });
    expect(JSON.stringify(feed)).not.toContain("hidden");
  });

  it("refuses a token without the permission with 403 naming it (query and header are both required)", async () => {
    const res = await forward(h, { token: reader.token, url: "/v1/auth/forward?permission=project.read&permission=project.delete" });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({
      error: { code: "FORBIDDEN", details: { permission: "project.delete", missing: ["project.delete"] } },
    });
    const viaHeader = await forward(h, {
      token: reader.token,
      url: "/v1/auth/forward?permission=project.read",
      headers: { "x-latchkey-permission": "project.update, team.tokens.manage" },
    });
    expect(viaHeader.status).toBe(403);
    expect(JSON.parse(viaHeader.body)).toMatchObject({ error: { details: { permission: "team.tokens.manage" } } });
    const owner = await tokenOf(h, "acme", "owner");
    const both = await forward(h, {
      token: owner.token,
      url: "/v1/auth/forward?permission=project.delete",
      headers: { "x-latchkey-permission": "team.tokens.manage" },
    });
    expect(both.status).toBe(200);
  });

  it("no permission asked means any valid token; any method, HEAD and OPTIONS included", async () => {
    expect((await forward(h, { token: reader.token })).status).toBe(200);
    for (const method of ["HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"] as const) {
      const res = await h.app.inject({ method, url: "/v1/auth/forward/x", headers: { authorization: `Bearer ${reader.token}` } });
      expect(res.statusCode, method).toBe(200);
      expect(res.headers["x-latchkey-token-id"], method).toBe(reader.id);
    }
  });

  it("401 with WWW-Authenticate invalid_token: no token, a session cookie, a non-Bearer header, a forged token", async () => {
    const challenge = 'Bearer error="invalid_token"';
    const signIn = await h.app.inject({ method: "POST", url: "/v1/session", payload: { email: OWNER_EMAIL, password: OWNER_PASSWORD } });
    const session = signIn.cookies.find((c) => c.name === "latchkey_session")?.value ?? "";
    expect(session).not.toBe("");
    const cases: Record<string, string>[] = [
      {},
      { cookie: `latchkey_session=${session}` },
      { authorization: "Basic dXNlcjpwYXNz" },
      { authorization: "Bearer not.a.jwt" },
    ];
    for (const headers of cases) {
      const res = await forward(h, { headers });
      expect(res.status).toBe(401);
      expect(res.headers["www-authenticate"]).toBe(challenge);
      expect(JSON.parse(res.body)).toMatchObject({ error: { status: 401 } });
    }
  });

  it("401 for a token revoked through the API on its next request, recorded in its feed", async () => {
    const { token, id } = await tokenOf(h, "acme", "default", "soon revoked");
    expect((await forward(h, { token })).status).toBe(200);
    await h.owner.ok("DELETE", `/v1/teams/acme/tokens/${id}`);
    const res = await forward(h, { token, headers: { "x-forwarded-method": "PUT", "x-forwarded-uri": "/after" } });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: "TOKEN_REVOKED" } });
    await h.services.audit.buffer.flush();
    const feed = await events(h.owner, `/v1/teams/acme/tokens/${id}/audit-logs?eventType=auth.forward`);
    expect(feed.find((e) => e.path === "/after")).toMatchObject({ method: "PUT", status: 401, outcome: "denied" });
  });

  it("400 naming unknown permission names (catalogue ids and API names no API declares); 400 for too many", async () => {
    const res = await forward(h, { token: reader.token, url: "/v1/auth/forward?permission=project.fly&permission=billing:invoices.read" });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({
      error: { code: "VALIDATION_FAILED", details: { unknown: ["project.fly", "billing:invoices.read"] } },
    });
    const many = Array.from({ length: 33 }, (_, i) => `permission=p${i}`).join("&");
    expect((await forward(h, { token: reader.token, url: `/v1/auth/forward?${many}` })).status).toBe(400);
    expect((await forward(h, { token: reader.token, headers: { "x-latchkey-permission": "x".repeat(201) } })).status).toBe(400);
    // Bad names are the gateway's mistake, said only to a caller with a valid token.
    expect((await forward(h, { url: "/v1/auth/forward?permission=project.fly" })).status).toBe(401);
  });

  it("custom API permissions: held 200, lacked 403 naming it, undeclared 400; removed from the API, refused on the next request", async () => {
    await h.owner.ok("POST", "/v1/teams/acme/apis", { name: "Billing", permissions: [{ id: "invoices.read" }, { id: "invoices.write" }] });
    await h.owner.ok("POST", "/v1/teams/acme/roles", {
      name: "Billing reader",
      permissions: { teamScope: ["team.read"], apiScope: ["billing:invoices.read"] },
    });
    const billing = await tokenOf(h, "acme", "billing-reader", "billing client");
    const ask = (token: string, name: string) => forward(h, { token, url: `/v1/auth/forward?permission=${encodeURIComponent(name)}` });

    expect((await ask(billing.token, "billing:invoices.read")).status).toBe(200);
    const lacked = await ask(billing.token, "billing:invoices.write");
    expect(lacked.status).toBe(403);
    expect(JSON.parse(lacked.body)).toMatchObject({ error: { code: "FORBIDDEN", details: { permission: "billing:invoices.write" } } });
    expect((await ask(reader.token, "billing:invoices.read")).status).toBe(403);
    const undeclared = await ask(billing.token, "billing:refunds");
    expect(undeclared.status).toBe(400);
    expect(JSON.parse(undeclared.body)).toMatchObject({ error: { details: { unknown: ["billing:refunds"] } } });

    await h.owner.ok("PATCH", "/v1/teams/acme/apis/billing", { permissions: [{ id: "invoices.write" }] });
    expect((await ask(billing.token, "billing:invoices.read")).status).toBe(400);
  });

  it("ignores any body a gateway passes on, whatever its type", async () => {
    const res = await forward(h, { token: reader.token, method: "POST", headers: { "content-type": "application/xml" }, payload: "<a>" });
    expect(res.status).toBe(200);
    const json = await forward(h, {
      token: reader.token,
      method: "POST",
      headers: { "content-type": "application/json" },
      payload: "{bad",
    });
    expect(json.status).toBe(200);
  });

  it("percent-encodes a token name that is not plain ASCII", async () => {
    const { token } = await tokenOf(h, "acme", "default", "Zürich → ok");
    const res = await forward(h, { token });
    expect(res.status).toBe(200);
    expect(res.headers["x-latchkey-token-name"]).toBe(encodeURIComponent("Zürich → ok"));
  });

  it("429 with Retry-After once the token's team limit is spent, with the x-ratelimit headers", async () => {
    await h.owner.ok("POST", "/v1/teams", { name: "Tight" });
    await h.owner.ok("PATCH", "/v1/teams/tight", { rateLimitPerHour: 2 });
    const { token } = await tokenOf(h, "tight", "default");
    expect((await forward(h, { token })).status).toBe(200);
    expect((await forward(h, { token })).status).toBe(200);
    const res = await forward(h, { token });
    expect(res.status).toBe(429);
    expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
    expect(res.headers["x-ratelimit-remaining"]).toBe("0");
  });
});

describe("forward auth behind proxies (sqlite)", () => {
  const GATEWAY = "10.1.2.3";
  let trusted: Harness;
  let untrusted: Harness;
  beforeAll(async () => {
    const env = { LATCHKEY_AUTH_FAILURES_PER_ADDRESS: "3" };
    trusted = await startHarness("sqlite", { ...env, LATCHKEY_TRUSTED_PROXIES: "10.0.0.0/8" });
    untrusted = await startHarness("sqlite", env);
    for (const h of [trusted, untrusted]) await h.owner.ok("POST", "/v1/teams", { name: "Acme" });
  });
  afterAll(async () => {
    await trusted.close();
    await untrusted.close();
  });

  it("a trusted gateway's client pays for its own bad tokens: the gateway and other clients go on", async () => {
    const good = await tokenOf(trusted, "acme", "default");
    for (let i = 0; i < 3; i++) {
      const res = await forward(trusted, { token: "bad.to.ken", peer: GATEWAY, headers: { "x-forwarded-for": "203.0.113.66" } });
      expect(res.status).toBe(401);
    }
    const locked = await forward(trusted, { token: good.token, peer: GATEWAY, headers: { "x-forwarded-for": "203.0.113.66" } });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers["retry-after"])).toBeGreaterThan(0);
    expect((await forward(trusted, { token: good.token, peer: GATEWAY })).status).toBe(200);
    const other = await forward(trusted, { token: good.token, peer: GATEWAY, headers: { "x-forwarded-for": "198.51.100.7" } });
    expect(other.status).toBe(200);
    // The last-used address is the client's, not the gateway's.
    await trusted.services.lastUsed.flush();
    const meta = await trusted.owner.ok<{ lastUsedIp: string | null }>("GET", `/v1/teams/acme/tokens/${good.id}`);
    expect(meta.lastUsedIp).toBe("198.51.100.7");
  });

  it("X-Forwarded-For from an untrusted peer is ignored: a forger cannot spread its failures over made-up addresses", async () => {
    for (let i = 0; i < 3; i++) {
      const res = await forward(untrusted, { token: "bad.to.ken", peer: "198.51.100.1", headers: { "x-forwarded-for": `192.0.2.${i}` } });
      expect(res.status).toBe(401);
    }
    const res = await forward(untrusted, { token: "bad.to.ken", peer: "198.51.100.1", headers: { "x-forwarded-for": "192.0.2.200" } });
    expect(res.status).toBe(429);
  });
});
