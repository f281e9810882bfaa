import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../test-support/databases.js";
import { startHarness, type Harness } from "../test-support/harness.js";
import { DOCS_CSP } from "./docs.js";

describe.each(dialects())("HTTP conventions on %s", (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind);
  });
  afterAll(() => h.close());

  it("answers health and readiness", async () => {
    expect((await h.anon.get("/healthz")).body).toEqual({ data: { status: "ok" } });
    expect((await h.anon.get("/readyz")).body).toEqual({ data: { status: "ready", database: kind } });
  });

  it("answers every success with 200 {data}, creates included", async () => {
    const res = await h.owner.post("/v1/teams", { name: "Envelope" });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(["data"]);
  });

  it("gives unknown routes the error envelope with a request id that matches the header", async () => {
    const res = await h.anon.get("/v1/nothing-here");
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ status: 404, code: "NOT_FOUND" });
    expect(res.headers["x-request-id"]).toBe(res.body.error?.id);
  });

  it("refuses malformed JSON with 400, never 500", async () => {
    const res = await h.owner.request("POST", "/v1/teams", '{"name": ', { "content-type": "application/json" });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe("VALIDATION_FAILED");
  });

  it("refuses bodies over 1 MiB with 413", async () => {
    const res = await h.owner.request("POST", "/v1/teams", JSON.stringify({ name: "x", description: "a".repeat(1024 * 1024 + 10) }), {
      "content-type": "application/json",
    });
    expect(res.status).toBe(413);
    expect(res.body.error?.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("refuses an unsupported content type with 415 that says which content type to send, in the error envelope", async () => {
    const res = await h.owner.request("POST", "/v1/teams", "name=x", {
      "content-type": "application/x-www-form-urlencoded; charset=utf-8",
    });
    expect(res.status).toBe(415);
    expect(res.body.error).toMatchObject({
      status: 415,
      code: "UNSUPPORTED_MEDIA_TYPE",
      message: 'send the body with the header "content-type: application/json" (received "application/x-www-form-urlencoded")',
      details: { accepted: "application/json", received: "application/x-www-form-urlencoded" },
      id: res.headers["x-request-id"],
    });
    const none = await h.owner.request("POST", "/v1/teams", '{"name":"x"}', { "content-type": "" });
    expect(none.status).toBe(415);
    expect(none.body.error?.message).toContain("(received no content-type)");
    expect(none.body.error?.details).toEqual({ accepted: "application/json", received: null });
  });

  it("names every bad field in details", async () => {
    const res = await h.owner.post("/v1/teams", { name: "", description: 5, extra: 1 });
    expect(res.status).toBe(400);
    expect(Object.keys((res.body.error?.details as { fields: Record<string, string> }).fields).sort()).toEqual([
      "body",
      "description",
      "name",
    ]);
  });

  it("reads the page size as perPage, and as per_page (its deprecated spelling) too, never both", async () => {
    for (const name of ["Page one", "Page two"]) await h.owner.post("/v1/teams", { name });
    for (const query of ["perPage=1", "per_page=1"]) {
      const res = await h.owner.get(`/v1/teams?${query}`);
      expect(res.status, query).toBe(200);
      expect((res.body.data as { teams: unknown[] }).teams, query).toHaveLength(1);
      expect(res.body.pagination, query).toMatchObject({ hasNextPage: true, count: 1 });
    }
    const both = await h.owner.get("/v1/teams?perPage=1&per_page=1");
    expect(both.status).toBe(400);
    expect(both.body.error?.details).toEqual({ fields: { per_page: "give perPage or per_page (its deprecated spelling), not both" } });
    expect((await h.owner.get("/v1/teams?perPage=101")).status).toBe(400);
    const audit = await h.owner.get("/v1/teams/page-one/audit-logs?perPage=1");
    expect((audit.body.data as { auditLogs: unknown[] }).auditLogs).toHaveLength(1);
    const tokens = await h.owner.get("/v1/teams/page-one/tokens?perPage=1&all=true");
    expect(tokens.status).toBe(200);
  });

  it("refuses a bad page size and a bad path id with 400", async () => {
    expect((await h.owner.get("/v1/teams?per_page=0")).status).toBe(400);
    expect((await h.owner.get("/v1/teams?per_page=101")).status).toBe(400);
    expect((await h.owner.get("/v1/teams/NOT_A_SLUG")).status).toBe(400);
  });

  it("serves the permission catalogue without a credential", async () => {
    const res = await h.anon.get("/v1/permissions");
    const list = res.body.data as { id: string; scope: string; sensitive: boolean }[];
    expect(list.find((p) => p.id === "team.tokens.manage")).toMatchObject({ scope: "team", sensitive: true });
  });

  it("serves the docs page: Swagger UI, its files from this server, under a strict CSP", async () => {
    const res = await h.app.inject({ method: "GET", url: "/docs" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toContain("text/html");
    expect(res.body).toContain('<div id="swagger-ui">');
    expect(res.headers["content-security-policy"]).toBe(DOCS_CSP);
    expect(res.headers["x-frame-options"]).toBe("DENY");
    // Every script and stylesheet the page loads is a path on this server: nothing from a CDN.
    const assets = [...res.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? "");
    expect(assets).toContain("/docs/static/swagger-ui-bundle.js");
    expect(assets).toContain("/docs/static/swagger-initializer.js");
    for (const asset of assets) {
      expect(asset, asset).toMatch(/^\/docs\/static\//);
      const file = await h.app.inject({ method: "GET", url: asset });
      expect(file.statusCode, asset).toBe(200);
      expect(file.body.length, asset).toBeGreaterThan(0);
    }
    // The initializer points Swagger UI at the document beside the page, which lists every operation.
    expect((await h.app.inject({ method: "GET", url: "/docs/static/swagger-initializer.js" })).body).toContain("resolveUrl('./json')");
    const doc = (await h.app.inject({ method: "GET", url: "/docs/json" })).json<{ paths: Record<string, object> }>();
    expect(doc.paths["/v1/teams/{teamId}/roles"]).toBeDefined();
    expect(doc).toEqual((await h.anon.get("/v1/openapi.json")).body);
  });
});

describe("OpenAPI document", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness("sqlite");
  });
  afterAll(() => h.close());

  it("is OpenAPI 3.1 and matches the committed snapshot (update it deliberately with vitest -u)", async () => {
    const doc = (await h.anon.get("/v1/openapi.json")).body as {
      openapi: string;
      paths: Record<string, Record<string, { responses: object }>>;
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.paths["/v1/teams/{teamId}/projects"]?.["get"]).toBeDefined();
    await expect(JSON.stringify(doc, null, 2)).toMatchFileSnapshot("./__snapshots__/openapi.json");
  });

  it("names query parameters in camelCase; per_page only as perPage's deprecated alias", async () => {
    type Parameter = { name: string; in: string; deprecated?: boolean; description?: string };
    const doc = (await h.anon.get("/v1/openapi.json")).body as { paths: Record<string, Record<string, { parameters: Parameter[] }>> };
    const query = Object.values(doc.paths).flatMap((ops) =>
      Object.values(ops).flatMap((op) => op.parameters.filter((p) => p.in === "query")),
    );
    const names = new Set(query.map((p) => p.name));
    expect(names.has("perPage")).toBe(true);
    for (const name of names) if (name !== "per_page") expect(name).toMatch(/^[a-z]+([A-Z][a-z]*)*$/);
    const alias = query.filter((p) => p.name === "per_page");
    expect(alias.length).toBe(query.filter((p) => p.name === "perPage").length);
    for (const p of alias) expect(p).toMatchObject({ deprecated: true, description: expect.stringContaining("perPage") as unknown });
  });

  it("documents every route that is registered", async () => {
    const doc = (await h.anon.get("/v1/openapi.json")).body as { paths: Record<string, object> };
    for (const r of h.routes) expect(doc.paths[r.url.replace(/:([A-Za-z]+)/g, "{$1}")], r.url).toBeDefined();
  });
});
