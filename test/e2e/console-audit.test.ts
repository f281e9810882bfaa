/**
 * The console's audit log in Chromium as a tool for investigating (issue 21, item 5), against a real server process:
 * exact times with their zone beside relative ones, names beside ids, a token's requests under its name with its
 * creator, a change as a before/after diff, an event-type prefix filter kept in the address across a reload, one row
 * per change, the console's own actions as `Console`, and an organisation token's requests in its team's feed.
 */
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consolePrerequisites, launchChromium, POLL } from "./browser-support.js";
import { Api, freePort, OWNER_EMAIL, OWNER_PASSWORD, startServer, type ServerProcess } from "./support.js";

const hasText = (locator: Locator, text: string | RegExp) =>
  typeof text === "string"
    ? expect.poll(() => locator.first().textContent(), POLL).toContain(text)
    : expect.poll(() => locator.first().textContent(), POLL).toMatch(text);
const hasCount = (locator: Locator, n: number) => expect.poll(() => locator.count(), POLL).toBe(n);

describe("console audit log in Chromium", { timeout: 120_000 }, () => {
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;
  let owner: Api;

  beforeAll(async () => {
    await consolePrerequisites();
    const port = await freePort();
    server = await startServer({ name: "console-audit", port, publicUrl: `http://127.0.0.1:${port}` });
    owner = await Api.signIn(server.url);
    browser = await launchChromium();
    // A zone that is not the server's: times are shown in the viewer's zone, with its name.
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, timezoneId: "Europe/Paris" });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, 30_000);

  const row = (eventType: string) => page.locator(`tbody tr[data-event-type="${eventType}"]`);

  it("records the console's own action as Console, with an exact time in the viewer's zone beside a relative one", async () => {
    await page.goto(`${server.url}/sign-in`);
    await page.getByLabel("E-mail").fill(OWNER_EMAIL);
    await page.getByLabel("Password").fill(OWNER_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByLabel("Team name").fill("Ledger");
    await page.getByRole("button", { name: "Create team" }).click();
    await page.waitForURL("**/teams/ledger/settings/api/tokens");

    // What an investigation finds: a role edited, a token that changed something, read, and was refused.
    await owner.ok("POST", "/v1/teams/ledger/roles", {
      name: "Builder",
      permissions: { teamScope: ["team.read"], projectScope: ["project.read", "project.create"] },
    });
    await owner.ok("PATCH", "/v1/teams/ledger/roles/builder", {
      description: "builds things",
      permissions: { teamScope: ["team.read", "team.audit.read"], projectScope: ["project.read", "project.create"] },
    });
    const { token } = await owner.ok<{ token: string }>("POST", "/v1/teams/ledger/tokens", { name: "deploy-bot", roleId: "builder" });
    const bot = owner.bearer(token);
    await bot.ok("POST", "/v1/projects", { name: "Site" });
    await bot.ok("GET", "/v1/projects");
    expect((await bot.request("GET", "/v1/projects/missing")).status).toBe(404);

    await page.getByRole("link", { name: "Audit log" }).click();
    const created = row("teams.create");
    await hasCount(created, 1);
    await hasText(created, "Console");
    const when = await created.locator("time").textContent();
    expect(when).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} (CET|CEST|GMT\+[12])$/);
    const iso = await created.locator("time").getAttribute("datetime");
    // The shown time is the stored one in Paris: one or two hours ahead of UTC.
    const shownHour = Number(when?.slice(11, 13));
    const utcHour = new Date(iso ?? "").getUTCHours();
    expect([1, 2]).toContain((shownHour - utcHour + 24) % 24);
    await hasText(created.locator("td.audit-when"), /just now|ago/);
  });

  it("names a token's requests after the token with its creator, and shows its change once", async () => {
    const change = row("projects.create");
    await hasCount(change, 1);
    await hasText(change, "deploy-bot");
    await hasText(change, `created by ${OWNER_EMAIL}`);
    await hasText(change, "Site");
    // The request that made the change is not a second row; the token's other requests are rows of their own.
    await hasCount(page.locator("tbody tr", { hasText: "POST /v1/projects" }), 1);
    await hasCount(row("request"), 2);
    await hasText(row("request").first(), "deploy-bot");
    await hasText(row("request").first(), "/v1/projects/missing");
  });

  it("shows a change's before and after as a diff", async () => {
    const update = row("roles.update");
    await update.getByRole("button", { name: /Show details of roles.update/ }).click();
    const diff = page.locator("table.audit-diff");
    await hasText(diff.locator('tr[data-field="description"] td.after'), "builds things");
    await hasText(diff.locator('tr[data-field="permissions.teamScope"] td.before'), '["team.read"]');
    await hasText(diff.locator('tr[data-field="permissions.teamScope"] td.after'), '["team.read","team.audit.read"]');
    // Unchanged fields are not listed.
    await hasCount(diff.locator('tr[data-field="permissions.projectScope"]'), 0);
    await hasCount(diff.locator('tr[data-field="name"]'), 0);
  });

  it("filters by an event-type prefix, keeps the filters in the address across a reload, and Back undoes them", async () => {
    await page.getByLabel("Event type").fill("apiTokens");
    await page.getByLabel("Outcome").selectOption("allowed");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.waitForURL(/\/audit\?eventType=apiTokens&outcome=allowed$/);
    await hasCount(row("apiTokens.create"), 1);
    await hasCount(page.locator("tbody tr[data-event-type]"), 1);

    await page.reload();
    await hasCount(row("apiTokens.create"), 1);
    await hasCount(page.locator("tbody tr[data-event-type]"), 1);
    expect(await page.getByLabel("Event type").inputValue()).toBe("apiTokens");
    expect(await page.getByLabel("Outcome").inputValue()).toBe("allowed");

    await page.goBack();
    await page.waitForURL(/\/settings\/audit$/);
    await hasCount(row("roles.update"), 1);
    expect(await page.getByLabel("Event type").inputValue()).toBe("");
    // The page never scrolls sideways at 1280 px: the table does, if anything.
    expect(await page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")).toBe(true);
  });

  it("lists an organisation token's requests against a team in that team's feed, under the token's name", async () => {
    await owner.ok("POST", "/v1/orgs", { name: "Globex" });
    await owner.ok("POST", "/v1/orgs/globex/teams", { name: "Shop" });
    const { token } = await owner.ok<{ token: string }>("POST", "/v1/orgs/globex/tokens", { name: "org-bot", roleId: "admin" });
    await owner.bearer(token).ok("GET", "/v1/teams/shop/projects");
    await page.goto(`${server.url}/teams/shop/settings/audit?eventType=request`);
    const request = row("request");
    await hasCount(request, 1);
    await hasText(request, "org-bot");
    await hasText(request, "GET /v1/teams/shop/projects");
    await hasText(request, "organisation token of globex");
  });
});
