/**
 * The console's end-to-end tests in Chromium: the browser as this machine runs it, a page, the sign-in form, and
 * polling matchers (playwright-core has no test matchers of its own).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Locator, type Page } from "playwright-core";
import { expect } from "vitest";
import { ensureBuilt, ROOT } from "./support.js";

export const CHROMIUM = process.env["LATCHKEY_CHROMIUM"] ?? "/usr/bin/chromium";
const WEB_DIST = join(ROOT, "packages/web/dist/index.html");

/** How long and how often the matchers below ask the page again. */
export const POLL = { timeout: 10_000, interval: 100 };
/** Polls until the first element of `locator` contains `text`. */
export const hasText = (locator: Locator, text: string) => expect.poll(() => locator.first().textContent(), POLL).toContain(text);

/** Chromium is there, and so are the server's and the console's builds (a fresh clone gets built, as `npm start` does). */
export async function consolePrerequisites(): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not at ${CHROMIUM}: apt-get install chromium (or set LATCHKEY_CHROMIUM)`);
  await ensureBuilt();
  if (!existsSync(WEB_DIST)) throw new Error(`the web console is not built (${WEB_DIST}): run npm run build`);
}

/** Headless Chromium with the flags this machine needs: no sandbox as root, and no background calls to a network it lacks. */
export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });

/** A page in a fresh context (no cookies) of the given size, waiting 15 s at most for what it is asked. */
export async function newPage(browser: Browser, viewport = { width: 1360, height: 860 }): Promise<Page> {
  const page = await (await browser.newContext({ viewport })).newPage();
  page.setDefaultTimeout(15_000);
  return page;
}

/** Fills in the sign-in form the page shows and submits it (the caller waits for what should follow). */
export async function submitSignIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}
