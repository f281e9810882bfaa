/**
 * The console's Webhooks page in Chromium, against a real server process and a real receiver that verifies each
 * signature with the `standardwebhooks` package: add a webhook (the secret shown once), send a test event, see it
 * delivered in the log, pause it.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../../packages/server/src/test-support/webhook-receiver.js";
import { consolePrerequisites, launchChromium, newPage, POLL, submitSignIn } from "./browser-support.js";
import { freePort, OWNER_EMAIL, OWNER_PASSWORD, startServer, type ServerProcess } from "./support.js";

describe("console webhooks page in Chromium", { timeout: 90_000 }, () => {
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;
  let rx: Receiver;

  beforeAll(async () => {
    await consolePrerequisites();
    rx = await startReceiver();
    const port = await freePort();
    server = await startServer({
      name: "console-webhooks",
      port,
      publicUrl: `http://127.0.0.1:${port}`,
      env: { LATCHKEY_WEBHOOKS_ALLOW_PRIVATE: "true" },
    });
    browser = await launchChromium();
    page = await newPage(browser);
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await rx?.close();
  }, 30_000);

  it("adds a webhook, shows its secret once, sends a test event that the receiver verifies, and pauses it", async () => {
    await page.goto(`${server.url}/sign-in`);
    await submitSignIn(page, OWNER_EMAIL, OWNER_PASSWORD);
    await page.getByLabel("Team name").fill("Hooks");
    await page.getByRole("button", { name: "Create team" }).click();
    await page.waitForURL("**/teams/hooks/settings/api/tokens");
    await page.getByRole("link", { name: "Webhooks" }).click();
    await page.getByText("No webhooks yet.").waitFor();

    await page.getByRole("button", { name: "Add webhook" }).click();
    await page.getByLabel("URL").fill(rx.url);
    await page.getByLabel("Description").fill("console test");
    await page.getByRole("dialog").getByRole("button", { name: "Add webhook" }).click();
    const secret = await page.getByLabel("Signing secret").inputValue();
    expect(secret).toMatch(/^whsec_/);
    rx.state.secret = secret;
    await page.getByRole("button", { name: "I have copied it" }).click();
    expect(await page.content()).not.toContain(secret);

    await page.getByRole("button", { name: `Send a test event to ${rx.url}` }).click();
    const [got] = await rx.waitFor((r) => r.body.type === "webhook.test");
    expect(got?.verified).toBe(true);
    const row = page.locator(`tr[data-delivery-id="${got!.id}"]`);
    await expect
      .poll(async () => {
        await page.getByRole("button", { name: "Refresh" }).click();
        return row.textContent();
      }, POLL)
      .toContain("delivered");

    await page.getByRole("button", { name: `Pause ${rx.url}` }).click();
    await page.getByText("Paused").waitFor();
  });
});
