import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../test-support/databases.js";
import { startHarness, type Harness } from "../test-support/harness.js";

// One shared set of authentication checks, run against every route that needs a credential (unkey's runCommonRouteTests).
describe.each(dialects())("every authenticated route on %s", (kind) => {
  let h: Harness;
  let routes: { method: string; url: string }[];
  beforeAll(async () => {
    h = await startHarness(kind);
    await h.owner.ok("POST", "/v1/teams", { name: "Acme" });
    routes = h.routes
      .filter((r) => r.auth === "credential")
      .map((r) => ({
        method: r.method,
        url: r.url
          .replace(":teamId", "acme")
          .replace(":orgId", "acme-org")
          .replace(/:[A-Za-z]+/g, "x"),
      }));
  });
  afterAll(() => h.close());

  it("covers a real set of routes", () => {
    expect(routes.length).toBeGreaterThan(30);
  });

  it("answers 401 with WWW-Authenticate when there is no credential, before looking at the input", async () => {
    // Forward auth answers a missing token with error="invalid_token" too, as API.md fixes for gateways (its own test).
    for (const r of routes.filter((x) => !x.url.startsWith("/v1/auth/forward"))) {
      const res = await h.anon.request(r.method as "GET", r.url, r.method === "GET" || r.method === "DELETE" ? undefined : { bogus: true });
      expect(res.status, `${r.method} ${r.url}`).toBe(401);
      expect(res.body.error?.code, `${r.method} ${r.url}`).toBe("UNAUTHENTICATED");
      expect(res.headers["www-authenticate"]).toBe('Bearer realm="latchkey"');
      expect(res.body.error?.id).toMatch(/^req_/);
    }
  });

  it("answers 401 TOKEN_INVALID with error=invalid_token for a bearer token that is not ours", async () => {
    const forged = h.client({ bearer: "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0." });
    for (const r of routes) {
      const res = await forged.request(r.method as "GET", r.url);
      expect(res.status, `${r.method} ${r.url}`).toBe(401);
      expect(res.body.error?.code).toBe("TOKEN_INVALID");
      expect(res.headers["www-authenticate"]).toBe('Bearer error="invalid_token"');
    }
  });

  it("refuses a malformed Authorization header and an oversized token with 401, never 5xx", async () => {
    for (const value of ["Basic abc", "Bearer", "Bearer a b", `Bearer ${"a".repeat(9000)}`]) {
      const res = await h.anon.request("GET", "/v1/teams", undefined, { authorization: value });
      expect(res.status, value.slice(0, 20)).toBe(401);
    }
  });

  it("requires x-csrf-token on every unsafe cookie request", async () => {
    const signedIn = await h.app.inject({
      method: "POST",
      url: "/v1/session",
      payload: { email: "owner@example.com", password: "correct horse battery staple" },
    });
    const cookie = `latchkey_session=${signedIn.cookies.find((c) => c.name === "latchkey_session")?.value ?? ""}`;
    const noCsrf = h.client({ cookie });
    for (const r of routes.filter((x) => x.method !== "GET")) {
      const res = await noCsrf.request(r.method as "POST", r.url, r.method === "DELETE" ? undefined : {});
      expect(res.status, `${r.method} ${r.url}`).toBe(403);
      expect(res.body.error?.code).toBe("CSRF_FAILED");
    }
    const wrong = h.client({ cookie, csrf: "not-the-token" });
    expect((await wrong.post("/v1/teams", { name: "Nope" })).body.error?.code).toBe("CSRF_FAILED");
    expect((await noCsrf.get("/v1/teams")).status).toBe(200);
  });
});
