/**
 * Issue 21.3 and 21.8 in Chromium, against a real server: rename and delete teams and organisations (the name typed
 * to confirm, what goes with it said first), new links for a pending invitation and a landing page that says who
 * invited, where and with which role, a token's live keys with "end this key now" after a regenerate and the key of
 * each request in its audit log; a switcher that follows, a "last used" that moves without a reload, and the
 * console's own not-found page.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Api } from "./support.js";
import { launchChromium } from "./browser-support.js";
import { MEMBER_EMAIL, MEMBER_PASSWORD, OWNER_EMAIL, OWNER_PASSWORD, signedIn, startWorld, type World } from "./console-world.js";

const POLL = { timeout: 10_000, interval: 100 };

describe("console settings, invitations and keys in Chromium", { timeout: 120_000 }, () => {
  let world: World;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    world = await startWorld("console-settings");
    browser = await launchChromium();
    page = await signedIn(browser, world, OWNER_EMAIL, OWNER_PASSWORD);
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await world?.close();
  }, 30_000);

  const open = async (path: string) => {
    await page.goto(`${world.server.url}${path}`);
    await page.locator("main h1").first().waitFor();
  };
  const switcherOption = (p: Page, value: string) => p.locator(`select[aria-label="Team or organisation"] option[value="${value}"]`);
  const used = async (token: string) => (await new Api(world.server.url).bearer(token).request("GET", "/v1/login")).status;

  it("renames the team: the switcher and the navigation follow at once", async () => {
    await open(`/teams/${world.teamId}/settings/general`);
    await page.getByLabel("Team name").fill("Payments");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").filter({ hasText: "Saved" }).waitFor();
    await expect.poll(() => switcherOption(page, `team:${world.teamId}`).textContent(), POLL).toBe("Payments");
    await expect.poll(() => page.locator(".side-entity").textContent(), POLL).toBe("Payments");
    expect((await world.owner.ok<{ name: string }>("GET", `/v1/teams/${world.teamId}`)).name).toBe("Payments");
  });

  it("a Default-role member is offered exactly what the server allows on General", async () => {
    const member = await signedIn(browser, world, MEMBER_EMAIL, MEMBER_PASSWORD);
    const access = await world.member.ok<{ permissions: string[] }>("GET", `/v1/teams/${world.teamId}/my-access`);
    expect(access.permissions).not.toContain("team.delete");
    await member.goto(`${world.server.url}/teams/${world.teamId}/settings/general`);
    await member.getByRole("heading", { name: "Delete this team" }).waitFor();
    await expect
      .poll(() => member.getByTestId("not-allowed").allTextContents(), POLL)
      .toContainEqual(expect.stringContaining("team.delete"));
    expect(await member.getByRole("button", { name: "Delete team" }).count()).toBe(0);
    expect(await member.getByLabel("Team name").count()).toBe(access.permissions.includes("team.update") ? 1 : 0);
    expect((await world.member.request("DELETE", `/v1/teams/${world.teamId}`)).status).toBe(403);
    await member.context().close();
  });

  it("creates a team inside the organisation: the switcher lists it without a reload", async () => {
    await open(`/orgs/${world.orgId}/settings/teams`);
    expect(await switcherOption(page, "team:risk").count()).toBe(0);
    await page.getByLabel("New team name").fill("Risk");
    await page.getByRole("button", { name: "Create team" }).click();
    await page.getByRole("row", { name: /Risk/ }).waitFor();
    await expect.poll(() => switcherOption(page, "team:risk").count(), POLL).toBe(1);
  });

  it("deletes a team once its name is typed, after saying what goes with it", async () => {
    await world.owner.ok("POST", "/v1/teams", { name: "Doomed" });
    const doomed = await world.owner.ok<{ token: string }>("POST", "/v1/teams/doomed/tokens", { name: "last words", roleId: "default" });
    await world.owner.ok("POST", "/v1/teams/doomed/projects", { name: "Sandcastle" });
    await open("/teams/doomed/settings/general");
    await page.getByRole("button", { name: "Delete team" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete the team Doomed?" });
    const told = dialog.getByTestId("consequences");
    await expect.poll(() => told.textContent(), POLL).toContain("1 active API token (last words)");
    expect(await told.textContent()).toContain("1 project (Sandcastle)");
    expect(await told.textContent()).toContain("1 member");
    const confirm = dialog.getByRole("button", { name: "Delete team" });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel("Type Doomed to confirm").fill("doomed");
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel("Type Doomed to confirm").fill("Doomed");
    await confirm.click();
    await page.getByRole("heading", { name: /Welcome/ }).waitFor();
    await expect.poll(() => switcherOption(page, "team:doomed").count(), POLL).toBe(0);
    expect((await world.owner.request("GET", "/v1/teams/doomed")).status).toBe(404);
    expect(await used(doomed.token)).toBe(401);
  });

  it("deletes an organisation with its teams", async () => {
    await world.owner.ok("POST", "/v1/orgs", { name: "Gone" });
    await world.owner.ok("POST", "/v1/orgs/gone/teams", { name: "Gone team" });
    await open("/orgs/gone/settings/general");
    await page.getByRole("button", { name: "Delete organisation" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete the organisation Gone?" });
    await expect.poll(() => dialog.getByTestId("consequences").textContent(), POLL).toContain("1 team (Gone team)");
    await dialog.getByLabel("Type Gone to confirm").fill("Gone");
    await dialog.getByRole("button", { name: "Delete organisation" }).click();
    await page.getByRole("heading", { name: /Welcome/ }).waitFor();
    await expect.poll(() => switcherOption(page, "org:gone").count(), POLL).toBe(0);
    expect((await world.owner.request("GET", "/v1/orgs/gone")).status).toBe(404);
    expect((await world.owner.request("GET", "/v1/teams/gone-team")).status).toBe(404);
  });

  it("gives a pending invitation new links: the old one's page says it no longer works, the new one's says who, where and which role", async () => {
    const first = await world.owner.ok<{ invitation: { inviteUrl: string } }>("POST", `/v1/teams/${world.teamId}/members`, {
      email: "newbie@example.com",
      roles: ["default"],
    });
    await open(`/teams/${world.teamId}/settings/members`);
    await page.getByRole("button", { name: "New link for newbie@example.com" }).click();
    await page.getByRole("dialog", { name: "New links for newbie@example.com?" }).getByRole("button", { name: "Make new links" }).click();
    const ready = page.getByRole("dialog", { name: "New invitation link" });
    const link = await ready.getByLabel("Invitation link").inputValue();
    expect(link).toMatch(/\/invite\?token=/);
    expect(link).not.toBe(first.invitation.inviteUrl);
    await ready.getByRole("button", { name: "Done" }).click();

    const stranger = await (await browser.newContext()).newPage();
    stranger.setDefaultTimeout(15_000);
    await stranger.goto(first.invitation.inviteUrl);
    await expect.poll(() => stranger.getByTestId("invite-unusable").textContent(), POLL).toContain("no longer works");
    expect(await stranger.getByLabel("Password of your account").count()).toBe(0);
    await stranger.goto(link);
    const summary = stranger.getByTestId("invite-summary");
    await expect.poll(() => summary.textContent(), POLL).toContain("newbie@example.com");
    const text = (await summary.textContent()) ?? "";
    for (const part of [OWNER_EMAIL, "the team Payments", "with the role Default"]) expect(text).toContain(part);
    await stranger.getByLabel("Password of your account").waitFor();
    await stranger.context().close();
  });

  it("shows a token's live keys after a regenerate, ends the old one now, and the audit log names the key of each request", async () => {
    const team = `/v1/teams/${world.teamId}`;
    const made = await world.owner.ok<{ apiToken: { id: string; keys: { id: string }[] }; token: string }>("POST", `${team}/tokens`, {
      name: "rotator",
      roleId: "default",
    });
    const oldKey = made.apiToken.keys[0]?.id ?? "";
    await open(`/teams/${world.teamId}/settings/api/tokens`);
    await page.getByRole("button", { name: "Regenerate rotator" }).click();
    await page.getByLabel("Keep the old key for 1 day").check();
    await page.getByRole("dialog").getByRole("button", { name: "Regenerate" }).click();
    const done = page.getByRole("dialog", { name: "Token regenerated" });
    await expect.poll(() => done.getByTestId("old-key-note").textContent(), POLL).toContain("goes on working until");
    const secret = await done.getByLabel("New secret of “rotator”").inputValue();
    await done.getByRole("button", { name: "I have copied it" }).click();
    expect(await used(made.token)).toBe(200);
    expect(await used(secret)).toBe(200);
    const newKey = (await world.owner.ok<{ keys: { id: string }[] }>("GET", `${team}/tokens/${made.apiToken.id}`)).keys
      .map((k) => k.id)
      .find((id) => id !== oldKey);

    // Both keys' requests, each named by its key, in the token's own feed.
    await open(`/teams/${world.teamId}/settings/api/tokens/${made.apiToken.id}/audit`);
    await expect
      .poll(async () => (await page.getByTestId("event-key").allTextContents()).map((t) => t.replace(/^key /, "")).sort(), POLL)
      .toEqual([newKey, oldKey].sort());

    await open(`/teams/${world.teamId}/settings/api/tokens`);
    const keys = page.getByRole("button", { name: "Keys of rotator" });
    await expect.poll(() => keys.textContent(), POLL).toBe("2 keys");
    await keys.click();
    const list = page.getByRole("dialog", { name: "Keys of rotator" });
    await expect.poll(() => list.getByRole("row").count(), POLL).toBe(3);
    await list.getByRole("button", { name: `End key ${oldKey} now` }).click();
    await page
      .getByRole("dialog", { name: `End the key ${oldKey} now?` })
      .getByRole("button", { name: "End this key now" })
      .click();
    await expect.poll(() => page.getByRole("dialog", { name: "Keys of rotator" }).getByRole("row").count(), POLL).toBe(2);
    await page.getByRole("dialog", { name: "Keys of rotator" }).getByRole("button", { name: "Done" }).click();
    await expect.poll(() => keys.textContent(), POLL).toBe("1 key");
    expect(await used(made.token)).toBe(401);
    expect(await used(secret)).toBe(200);

    // A member who may only read tokens sees the keys, and no way to end one.
    await world.owner.ok("POST", `${team}/tokens/${made.apiToken.id}/keys`, {
      otherKeysExpiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const member = await signedIn(browser, world, MEMBER_EMAIL, MEMBER_PASSWORD);
    await member.goto(`${world.server.url}/teams/${world.teamId}/settings/api/tokens`);
    await member.getByRole("button", { name: "Keys of rotator" }).click();
    const seen = member.getByRole("dialog", { name: "Keys of rotator" });
    await expect.poll(() => seen.getByRole("row").count(), POLL).toBe(3);
    expect(await seen.getByRole("button", { name: /^End key/ }).count()).toBe(0);
    await member.context().close();
  });

  it("moves 'last used' without a reload when the person comes back to the page", async () => {
    const made = await world.owner.ok<{ token: string }>("POST", `/v1/teams/${world.teamId}/tokens`, { name: "poller", roleId: "default" });
    await open(`/teams/${world.teamId}/settings/api/tokens`);
    const row = page.getByRole("row", { name: /poller/ });
    await expect.poll(() => row.textContent(), POLL).toContain("Never");
    expect(await used(made.token)).toBe(200);
    // Coming back to the window (another tab, another application) reads the list again.
    await page.evaluate("window.dispatchEvent(new Event('focus'))");
    await expect.poll(() => row.textContent(), POLL).toContain("from 127.0.0.1");
  });

  it("answers an unknown path with the console's own not-found page, in its frame", async () => {
    const reply = await page.goto(`${world.server.url}/nowhere/at/all`);
    expect(reply?.status()).toBe(404);
    await expect.poll(() => page.getByTestId("not-found").textContent(), POLL).toContain("/nowhere/at/all");
    await page.getByRole("link", { name: "Go to the start" }).click();
    await page.getByRole("heading", { name: /Welcome/ }).waitFor();
    await open(`/teams/${world.teamId}/settings/no-such-page`);
    await page.getByTestId("not-found").waitFor();
    await page.getByRole("navigation", { name: "Team settings" }).waitFor();
  });
});
