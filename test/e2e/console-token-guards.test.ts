/**
 * End to end in Chromium: a token's IP allow-list is set in the console's create dialog, shown in the list, and
 * edited (refused when malformed, cleared) in the edit dialog; the server enforces each version at once.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consolePrerequisites, hasText, launchChromium, newPage, POLL, submitSignIn } from "./browser-support.js";
import { Api, freePort, OWNER_EMAIL, OWNER_PASSWORD, startServer, type ServerProcess } from "./support.js";

describe("token allow-lists in the console", { timeout: 90_000 }, () => {
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;

  beforeAll(async () => {
    await consolePrerequisites();
    const port = await freePort();
    server = await startServer({ name: "console-guards", port, publicUrl: `http://127.0.0.1:${port}` });
    await (await Api.signIn(server.url)).ok("POST", "/v1/teams", { name: "Acme" });
    browser = await launchChromium();
    page = await newPage(browser);
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, 30_000);

  it("sets, shows, refuses a malformed and clears a token's allowed addresses", async () => {
    const url = server?.url ?? "";
    await page.goto(`${url}/`);
    await page.waitForURL(/\/sign-in$/);
    await submitSignIn(page, OWNER_EMAIL, OWNER_PASSWORD);
    await page.getByRole("heading", { name: /Welcome|API tokens/ }).waitFor();
    await page.goto(`${url}/teams/acme/settings/api/tokens`);

    await page.getByRole("button", { name: "Create API token" }).click();
    const dialog = page.getByRole("dialog", { name: "Create API token" });
    await dialog.getByLabel("Name").fill("office only");
    await dialog.getByLabel("Role").selectOption("default");
    await dialog.getByLabel("Allowed addresses").fill("10.0.0.0/8\n2001:db8::/32");
    await dialog.getByRole("button", { name: "Create API token" }).click();
    const reveal = page.getByRole("dialog", { name: "API token created" });
    const secret = await reveal.getByLabel("Token “office only”").inputValue();
    await reveal.getByRole("button", { name: "I have copied it" }).click();

    const row = page.getByRole("row", { name: /office only/ });
    await hasText(row, "only from 2 address blocks");
    const asToken = new Api(url, { bearer: secret });
    const refused = await asToken.request("GET", "/v1/login");
    expect(refused.status).toBe(403);
    expect(JSON.stringify(refused.body)).toContain("IP_NOT_ALLOWED");

    await row.getByRole("button", { name: "Edit office only" }).click();
    const edit = page.getByRole("dialog", { name: "Edit token office only" });
    expect(await edit.getByLabel("Allowed addresses").inputValue()).toBe("10.0.0.0/8\n2001:db8::/32");
    await edit.getByLabel("Allowed addresses").fill("10.0.0.0/33");
    await edit.getByRole("button", { name: "Save" }).click();
    await hasText(edit.getByRole("alert"), "allowedIps");
    await edit.getByLabel("Allowed addresses").fill("");
    await edit.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.getByRole("dialog").count(), POLL).toBe(0);
    await expect.poll(async () => (await asToken.request("GET", "/v1/login")).status, POLL).toBe(200);
    // The list reloads after the dialog closes: poll rather than read once.
    await expect.poll(async () => (await row.textContent()) ?? "", POLL).not.toContain("only from");
  });
});
