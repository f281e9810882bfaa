/**
 * End to end in Chromium: `/docs` renders the OpenAPI document with Swagger UI from the server's own files (no request
 * leaves the server's origin, nothing is refused by the page's Content-Security-Policy), and an operation opens to
 * its parameters, request body with an example value, and responses.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, freePort, startServer, type ServerProcess } from "./support.js";

const CHROMIUM = process.env["LATCHKEY_CHROMIUM"] ?? "/usr/bin/chromium";

/** Swagger UI lists operations in a virtual list (only those near the viewport are in the DOM): a deep link scrolls. */
const WAIT = { timeout: 90_000 };

describe("the API reference at /docs", { timeout: 240_000 }, () => {
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const requested: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    await ensureBuilt();
    if (!existsSync(CHROMIUM)) throw new Error(`needs Chromium at ${CHROMIUM}`);
    const port = await freePort();
    server = await startServer({ name: "docs", port, publicUrl: `http://127.0.0.1:${port}` });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update"],
    });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(30_000);
    page.on("request", (request) => requested.push(request.url()));
    // What the Content-Security-Policy refuses is reported to the page (and its console), and scripts that fail throw.
    await page.exposeFunction("reportViolation", (what: string) => problems.push(what));
    // (A string: this test's TypeScript has no DOM types.)
    await page.addInitScript(
      "document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(e.violatedDirective + ' refused ' + e.blockedURI))",
    );
    page.on("console", (message) => {
      if (message.text().includes("Content Security Policy")) problems.push(message.text());
    });
    page.on("pageerror", (error) => problems.push(error.message));
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, 30_000);

  it("lists the operations, and one opens to its request body, example and responses", async () => {
    const origin = server?.url ?? "";
    // The operation block for creating a team token, reached by its deep link (tag "API tokens", generated id).
    await page.goto(`${origin}/docs#/API%20tokens/post_v1_teams__teamId__tokens`);
    const create = page
      .locator(".opblock")
      .filter({ has: page.locator('[data-path="/v1/teams/{teamId}/tokens"]') })
      .filter({ has: page.locator(".opblock-summary-method", { hasText: "POST" }) });
    await create.waitFor(WAIT);
    expect(await create.locator(".opblock-summary-path").getAttribute("data-path")).toBe("/v1/teams/{teamId}/tokens");
    expect(await create.textContent()).toContain("Needs permission team.tokens.manage");
    expect(await page.locator(".info .title").textContent()).toContain("Latchkey API");

    // The deep link opened it; its request body shows the example built from the schema's examples.
    const body = create.locator(".opblock-section-request-body");
    await body.waitFor(WAIT);
    // The example value Swagger UI builds from the request schema names the fields of a token to create.
    const example = JSON.parse((await body.locator(".highlight-code").first().textContent()) ?? "") as unknown;
    expect(example).toMatchObject({ name: "ci", roleId: "default", expiresAt: "2027-01-01T00:00:00Z" });
    const responses = create.locator(".responses-wrapper");
    await expect.poll(() => responses.textContent()).toContain("apiToken");
    for (const status of ["200", "400", "401", "403", "404"])
      expect(await responses.locator(`tr.response[data-code="${status}"]`).count(), status).toBe(1);

    // Everything came from the server itself, and the page's CSP refused nothing.
    expect(requested.length).toBeGreaterThan(3);
    for (const url of requested) expect(url.startsWith("data:") || new URL(url).origin === origin, url).toBe(true);
    expect(problems).toEqual([]);
  });
});
