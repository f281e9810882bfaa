import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../app.js";
import { loadConfig } from "../config.js";
import { freshDatabase } from "../test-support/databases.js";

async function appWith(consoleDir: string): Promise<{ app: FastifyInstance; close: () => Promise<void> }> {
  const db = await freshDatabase("sqlite");
  const config = loadConfig({
    LATCHKEY_DATA_DIR: db.dataDir,
    LATCHKEY_DATABASE_URL: db.url,
    LATCHKEY_MASTER_KEY: randomBytes(32).toString("base64"),
  });
  const { app } = await buildApp(config, { logger: false, consoleDir });
  return {
    app,
    close: async () => {
      await app.close();
      await db.drop();
    },
  };
}

describe("the web console at /", () => {
  const dir = mkdtempSync(join(tmpdir(), "latchkey-console-"));
  let built: Awaited<ReturnType<typeof appWith>>;
  let missing: Awaited<ReturnType<typeof appWith>>;

  beforeAll(async () => {
    mkdirSync(join(dir, "assets"));
    writeFileSync(join(dir, "index.html"), '<!doctype html><script type="module" src="/assets/app-abc123.js"></script>');
    writeFileSync(join(dir, "assets", "app-abc123.js"), "console.log('hi')");
    built = await appWith(dir);
    missing = await appWith(join(dir, "nowhere"));
  });
  afterAll(async () => {
    await built.close();
    await missing.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves index.html at / and for client-side routes, never cached, never framed", async () => {
    for (const url of ["/", "/cli-login?sessionToken=abc", "/teams/acme/settings/api/tokens", "/index.html"]) {
      const res = await built.app.inject({ method: "GET", url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers["content-type"]).toContain("text/html");
      expect(res.headers["cache-control"]).toBe("no-cache");
      expect(res.headers["x-frame-options"]).toBe("DENY");
      expect(res.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
      expect(res.body).toContain("/assets/app-abc123.js");
    }
  });

  it("serves hashed assets with a long immutable cache, and a missing file as a 404", async () => {
    const res = await built.app.inject({ method: "GET", url: "/assets/app-abc123.js" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toContain("text/javascript");
    expect(res.headers["cache-control"]).toContain("immutable");
    const gone = await built.app.inject({ method: "GET", url: "/assets/app-old.js" });
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toMatchObject({ error: { code: "NOT_FOUND" } });
    expect((await built.app.inject({ method: "GET", url: "/../package.json" })).body).not.toContain('"dependencies"');
    expect((await built.app.inject({ method: "GET", url: "/assets/../../package.json" })).body).not.toContain('"dependencies"');
  });

  it("leaves the API, health, readiness and docs as they were", async () => {
    const api = await built.app.inject({ method: "GET", url: "/v1/no-such-thing" });
    expect(api.statusCode).toBe(404);
    expect(api.json()).toMatchObject({ error: { status: 404, code: "NOT_FOUND" } });
    expect((await built.app.inject({ method: "GET", url: "/v1" })).statusCode).toBe(404);
    expect((await built.app.inject({ method: "GET", url: "/healthz" })).json()).toEqual({ data: { status: "ok" } });
    expect((await built.app.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(200);
    expect((await built.app.inject({ method: "GET", url: "/docs" })).body).toContain("Latchkey API reference");
    expect((await built.app.inject({ method: "GET", url: "/v1/permissions" })).statusCode).toBe(200);
    expect((await built.app.inject({ method: "POST", url: "/somewhere" })).statusCode).toBe(404);
    // Paths that are not the console's keep the API's own answers.
    expect((await built.app.inject({ method: "GET", url: "/somewhere" })).json()).toMatchObject({ error: { code: "NOT_FOUND" } });
    expect((await built.app.inject({ method: "GET", url: `/v1/teams/${"a".repeat(200)}` })).statusCode).toBe(414);
  });

  it("gives a browser that opens an unknown page the console (its own not-found page) with a 404; programs keep the JSON", async () => {
    const html = { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" };
    for (const url of ["/somewhere", "/tokens/abc?x=1", "/settings"]) {
      const res = await built.app.inject({ method: "GET", url, headers: html });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers["content-type"]).toContain("text/html");
      expect(res.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
      expect(res.body).toContain("/assets/app-abc123.js");
    }
    // Not for the API, assets or the server's own pages, even from a browser; nor for fetch and curl anywhere.
    for (const url of ["/v1/no-such-thing", "/v1", "/assets/app-old.js", "/.well-known/nothing"]) {
      const res = await built.app.inject({ method: "GET", url, headers: html });
      expect(res.statusCode, url).toBe(404);
      expect(res.json(), url).toMatchObject({ error: { code: "NOT_FOUND" } });
    }
    for (const accept of ["application/json", "*/*"]) {
      const res = await built.app.inject({ method: "GET", url: "/somewhere", headers: { accept } });
      expect(res.json()).toMatchObject({ error: { code: "NOT_FOUND", message: "no route for GET /somewhere" } });
    }
  });

  it("starts without a build and says how to make one", async () => {
    const res = await missing.app.inject({ method: "GET", url: "/" });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain("npm run build");
    expect((await missing.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
  });
});
