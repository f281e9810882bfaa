/**
 * End to end in Chromium: the console's /device page approves an elevation started over HTTP (as `latchkey elevate`
 * does), and Settings → Trust policies creates a policy with the GitHub Actions preset.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consolePrerequisites, launchChromium, newPage, POLL, submitSignIn } from "./browser-support.js";
import { Api, freePort, OWNER_EMAIL, OWNER_PASSWORD, startServer, type ServerProcess } from "./support.js";

const FORM = { "content-type": "application/x-www-form-urlencoded" };

describe("device approval and trust policies in the console (Chromium)", { timeout: 90_000 }, () => {
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;
  let owner: Api;

  beforeAll(async () => {
    await consolePrerequisites();
    const port = await freePort();
    server = await startServer({ name: "device-console", port, publicUrl: `http://127.0.0.1:${port}` });
    owner = await Api.signIn(server.url);
    await owner.ok("POST", "/v1/teams", { name: "Ops" });
    browser = await launchChromium();
    page = await newPage(browser);
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, 30_000);

  it("approves an elevation typed in on /device after signing in; the device's poll gets the token", async () => {
    const started = (await (
      await fetch(`${server.url}/v1/oauth/device_authorization`, {
        method: "POST",
        headers: FORM,
        body: "requested_role=admin&requested_lifetime=900&reason=rotate+the+deploy+key",
      })
    ).json()) as { device_code: string; user_code: string; verification_uri_complete: string };
    await page.goto(started.verification_uri_complete);
    await page.waitForURL(/\/sign-in\?next=/);
    await submitSignIn(page, OWNER_EMAIL, OWNER_PASSWORD);
    await page.getByRole("heading", { name: "Connect a device" }).waitFor();
    await expect.poll(() => page.getByLabel("Code").inputValue(), POLL).toBe(started.user_code);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("heading", { name: "Approve an elevation" }).waitFor();
    await expect.poll(() => page.locator(".notice").textContent(), POLL).toContain("rotate the deploy key");
    await page.getByLabel("Team", { exact: true }).selectOption("ops");
    await expect.poll(() => page.getByLabel("Role").inputValue(), POLL).toBe("admin");
    await page.getByRole("button", { name: "Approve" }).click();
    await page.getByRole("heading", { name: "Device approved" }).waitFor();
    const polled = await fetch(`${server.url}/v1/oauth/token`, {
      method: "POST",
      headers: FORM,
      body: `grant_type=urn:ietf:params:oauth:grant-type:device_code&device_code=${started.device_code}`,
    });
    const got = (await polled.json()) as { access_token: string; expires_in: number };
    expect(polled.status).toBe(200);
    expect(got.expires_in).toBeLessThanOrEqual(900);
    const tokens = await owner.ok<{ apiTokens: { description: string }[] }>("GET", "/v1/teams/ops/tokens");
    expect(tokens.apiTokens.map((t) => t.description)).toContain("Elevation for 15 min: rotate the deploy key");
  });

  it("creates a trust policy with the GitHub Actions preset", async () => {
    await page.goto(`${server.url}/teams/ops/settings/api/trust-policies`);
    await page.getByText("No trust policies yet.").waitFor();
    await page.getByRole("button", { name: "New trust policy" }).click();
    await page.getByLabel("Repository (owner/name)").fill("acme/api");
    await page.getByRole("button", { name: "Fill in for GitHub Actions" }).click();
    await expect.poll(() => page.getByLabel("Issuer").inputValue(), POLL).toBe("https://token.actions.githubusercontent.com");
    await expect.poll(() => page.getByLabel("Audience").inputValue(), POLL).toBe("https://github.com/acme");
    await page.getByLabel("Role").selectOption("default");
    await page.getByRole("button", { name: "Create policy" }).click();
    await page.getByRole("cell", { name: "https://github.com/acme" }).waitFor();
    const list = await owner.ok<{ trustPolicies: { conditions: Record<string, string> }[] }>("GET", "/v1/teams/ops/trust-policies");
    expect(list.trustPolicies[0]?.conditions).toEqual({ repository: "acme/api", ref: "refs/heads/main", environment: "production" });
  });
});
