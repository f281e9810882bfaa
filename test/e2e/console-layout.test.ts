/**
 * Issue 21.8 in Chromium: every page of the console, as an owner and as a Default-role member, at 1280 and 800 px,
 * with names and descriptions as long as the API takes. The page itself never scrolls sideways (a wide table scrolls
 * inside its own frame, its row buttons staying in view); the switcher keeps a sane width.
 *
 * `SCREENSHOTS=1` (or `npm run screenshots`) writes one picture of each page at each width to docs/screenshots/;
 * otherwise none is taken, so a test run never changes the working tree.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "./support.js";
import { launchChromium } from "./browser-support.js";
import { MEMBER_EMAIL, MEMBER_PASSWORD, OWNER_EMAIL, OWNER_PASSWORD, signedIn, startWorld, type World } from "./console-world.js";

const POLL = { timeout: 15_000, interval: 100 };
const WIDTHS = [1280, 800] as const;
const SHOTS =
  process.env["SCREENSHOTS"] === "1" || process.env["LATCHKEY_UPDATE_SCREENSHOTS"] === "1" ? join(ROOT, "docs/screenshots") : null;

/** Every page a signed-in person reaches, by a short name (the screenshot's file name). */
function pages(w: World): [string, string][] {
  const team = `/teams/${w.teamId}/settings`;
  const org = `/orgs/${w.orgId}/settings`;
  return [
    ["home", "/"],
    ["team-tokens", `${team}/api/tokens`],
    ["token-audit", `${team}/api/tokens/${w.tokenId}/audit`],
    ["team-apis", `${team}/apis`],
    ["api-editor", `${team}/apis/${w.apiId}`],
    ["team-trust-policies", `${team}/api/trust-policies`],
    ["team-roles", `${team}/roles`],
    ["role-editor", `${team}/roles/${w.roleId}`],
    ["team-members", `${team}/members`],
    ["team-projects", `${team}/projects`],
    ["team-webhooks", `${team}/webhooks`],
    ["team-audit", `${team}/audit`],
    ["team-general", `${team}/general`],
    ["org-teams", `${org}/teams`],
    ["org-roles", `${org}/roles`],
    ["org-members", `${org}/members`],
    ["org-tokens", `${org}/api/tokens`],
    ["org-general", `${org}/general`],
    ["device", "/device"],
    ["not-found", `${team}/no-such-page`],
  ];
}

/** The page has settled: its heading is up and nothing is loading any more. */
async function settled(page: Page): Promise<void> {
  await page.locator("main h1").first().waitFor();
  await expect.poll(() => page.locator(".loading").count(), POLL).toBe(0);
}

/** How far the document reaches past the window, sideways (0 when it does not scroll). */
const overflow = (page: Page) => page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");

describe("the console's layout holds at 1280 and 800 px", { timeout: 300_000 }, () => {
  let world: World;
  let browser: Browser;

  beforeAll(async () => {
    world = await startWorld("console-layout");
    browser = await launchChromium();
    if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await world?.close();
  }, 30_000);

  for (const who of ["owner", "member"] as const) {
    it(`as ${who === "owner" ? "an owner" : "a Default-role member"}: no page scrolls sideways`, async () => {
      const [email, password] = who === "owner" ? [OWNER_EMAIL, OWNER_PASSWORD] : [MEMBER_EMAIL, MEMBER_PASSWORD];
      for (const width of WIDTHS) {
        const page = await signedIn(browser, world, email, password, width);
        const wide: string[] = [];
        for (const [name, path] of pages(world)) {
          await page.goto(`${world.server.url}${path}`);
          await settled(page);
          const over = await overflow(page);
          if (over > 0) wide.push(`${name} (${path}) by ${over}px`);
          if (SHOTS && who === "owner") await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`), animations: "disabled" });
        }
        expect(wide, `pages wider than ${width}px`).toEqual([]);
        await page.context().close();
      }
    });
  }

  it("signed out: the sign-in page and an invitation's landing page", async () => {
    for (const width of WIDTHS) {
      const page = await (await browser.newContext({ viewport: { width, height: 860 } })).newPage();
      page.setDefaultTimeout(15_000);
      for (const [name, url] of [
        ["sign-in", `${world.server.url}/sign-in`],
        ["invite", world.inviteUrl],
      ] as const) {
        await page.goto(url);
        await page.locator("h1").first().waitFor();
        await expect.poll(() => page.locator(".loading").count(), POLL).toBe(0);
        expect(await overflow(page), `${name} at ${width}px`).toBeLessThanOrEqual(0);
        if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`), animations: "disabled" });
      }
      await page.context().close();
    }
  });

  it("a wide table scrolls in its own frame and keeps its row buttons in view; the switcher keeps a sane width", async () => {
    for (const width of WIDTHS) {
      const page = await signedIn(browser, world, OWNER_EMAIL, OWNER_PASSWORD, width);
      await page.goto(`${world.server.url}/teams/${world.teamId}/settings/api/tokens`);
      await settled(page);
      const revoke = page.getByRole("button", { name: /^Revoke payments-service/ });
      const box = await revoke.boundingBox();
      const frame = await page.locator(".table-wrap").first().boundingBox();
      expect(box && frame, "the Revoke button and the table's frame are laid out").toBeTruthy();
      // Inside the frame's visible part, and inside the window: never pushed off screen by a long description.
      expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual((frame?.x ?? 0) + (frame?.width ?? 0) + 1);
      expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(width);
      expect(await overflow(page)).toBeLessThanOrEqual(0);
      const tableScrolls = () =>
        page.evaluate("(() => { const w = document.querySelector('.table-wrap'); return w.scrollWidth > w.clientWidth; })()");
      // At 1280 px the whole list fits, long descriptions and all.
      if (width === 1280) expect(await tableScrolls()).toBe(false);
      if (width === 800) {
        // Here the table is wider than the window: it scrolls, not the page.
        expect(await tableScrolls()).toBe(true);
      }
      // The team's name is ~90 characters: the closed switcher stays within 20rem and cuts it.
      const switcher = await page.getByLabel("Team or organisation").boundingBox();
      expect(switcher?.width ?? 0).toBeLessThanOrEqual(320);
      await page.context().close();
    }
  });
});
