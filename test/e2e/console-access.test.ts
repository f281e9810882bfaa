/**
 * Issue 21.2 in Chromium: the console offers only what the server allows, from one source (`my-access`). As an owner
 * every action shows; as a Default-role member no action shows that the server would refuse, each hidden one says
 * which permission it needs, and the role pickers offer only roles the person may grant.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consolePrerequisites, launchChromium, newPage, POLL, submitSignIn } from "./browser-support.js";
import { Api, freePort, OWNER_EMAIL, OWNER_PASSWORD, startServer, waitFor, type ServerProcess } from "./support.js";

const MEMBER_EMAIL = "dee@example.com";
const MEMBER_PASSWORD = "a default member's password";

interface Access {
  permissions: string[];
  grantableRoles: string[];
}

describe("the console shows only what the signed-in person may do", { timeout: 120_000 }, () => {
  let server: ServerProcess;
  let browser: Browser;
  let owner: Api;

  beforeAll(async () => {
    await consolePrerequisites();
    const port = await freePort();
    // Without SMTP the invitation's own link is written to the log (warn), where the test reads it.
    server = await startServer({
      name: "console-access",
      port,
      publicUrl: `http://127.0.0.1:${port}`,
      env: { LATCHKEY_LOG_LEVEL: "warn" },
    });
    owner = await Api.signIn(server.url);
    await owner.ok("POST", "/v1/teams", { name: "Alpha" });
    await owner.ok("POST", "/v1/teams/alpha/tokens", { name: "deploy", roleId: "admin" });
    await owner.ok("POST", "/v1/teams/alpha/members", { email: MEMBER_EMAIL, roles: ["default"] });
    const logged = await waitFor(
      () => Promise.resolve(server.output()),
      (out) => /\/invite\?confirm=/.test(out),
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    if (!logged.met) throw new Error(`no invitation link in the log:\n${logged.value}`);
    const token = /\/invite\?confirm=([A-Za-z0-9_-]+)/.exec(server.output())?.[1] ?? "";
    await new Api(server.url).ok("POST", "/v1/invitations/confirm", { token, name: "Dee", password: MEMBER_PASSWORD });
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, 30_000);

  const signIn = async (email: string, password: string): Promise<Page> => {
    const page = await newPage(browser, { width: 1280, height: 860 });
    await page.goto(`${server.url}/sign-in`);
    await submitSignIn(page, email, password);
    await page
      .getByRole("heading", { name: /Welcome|API tokens/ })
      .first()
      .waitFor();
    return page;
  };
  const visible = (page: Page, name: string | RegExp) => page.getByRole("button", { name }).or(page.getByRole("link", { name }));
  const roleOptions = async (page: Page) =>
    (await page.getByRole("dialog").getByLabel("Role").locator("option").allTextContents()).filter((t) => !t.includes("…"));

  it("as an owner: every action, and every role to grant", async () => {
    const page = await signIn(OWNER_EMAIL, OWNER_PASSWORD);
    await page.goto(`${server.url}/teams/alpha/settings/api/tokens`);
    await page.getByRole("button", { name: "Create API token" }).waitFor();
    await page.getByRole("button", { name: "Regenerate deploy" }).waitFor();
    expect(await page.getByTestId("not-allowed").count()).toBe(0);
    // Rename and re-describe a token (issue 21.3).
    await page.getByRole("button", { name: "Edit deploy" }).click();
    const edit = page.getByRole("dialog", { name: "Edit token deploy" });
    await edit.getByLabel("Name").fill("deploy bot");
    await edit.getByLabel("Description").fill("GitHub Actions, ask ops");
    await edit.getByRole("button", { name: "Save" }).click();
    await page.getByRole("row", { name: /deploy bot.*GitHub Actions, ask ops/ }).waitFor();
    await page.getByRole("button", { name: "Edit deploy bot" }).click();
    await page.getByRole("dialog").getByLabel("Name").fill("deploy");
    await page.getByRole("dialog").getByRole("button", { name: "Save" }).click();
    await page.getByRole("button", { name: "Regenerate deploy" }).waitFor();
    await page.getByRole("button", { name: "Create API token" }).click();
    await expect.poll(async () => (await roleOptions(page)).sort(), POLL).toEqual(["Admin (admin)", "Default (default)", "Owner (owner)"]);
    await page.getByRole("button", { name: "Cancel" }).click();
    await page.goto(`${server.url}/teams/alpha/settings/roles`);
    await page.getByRole("link", { name: "New role" }).waitFor();
    await page.getByRole("button", { name: "Delete Admin" }).waitFor();
    await page.goto(`${server.url}/teams/alpha/settings/members`);
    await page.getByRole("button", { name: "Invite member" }).waitFor();

    // Projects (issue 21.3): listed, created and deleted in the console.
    await page.getByRole("link", { name: "Projects" }).click();
    await page.getByText("This team has no projects yet.").waitFor();
    await page.getByLabel("New project name").fill("Billing API");
    await page.getByLabel("Description").fill("money");
    await page.getByRole("button", { name: "Create project" }).click();
    await page.getByRole("row", { name: /Billing API/ }).waitFor();
    await page.getByLabel("New project name").fill("Web");
    await page.getByRole("button", { name: "Create project" }).click();
    await page.getByRole("row", { name: /Web/ }).waitFor();
    await page.getByRole("button", { name: "Delete Billing API" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete project" }).click();
    await expect.poll(() => page.getByRole("row", { name: /Billing API/ }).count(), POLL).toBe(0);
    expect((await owner.ok<{ projects: { id: string }[] }>("GET", "/v1/teams/alpha/projects")).projects.map((p) => p.id)).toEqual(["web"]);

    // Change password (issue 21.3): a wrong current password is refused; then the new one signs in, the old does not.
    const NEW_PASSWORD = "the owner's brand new password";
    await page.getByRole("button", { name: "Change password" }).click();
    const dialog = page.getByRole("dialog", { name: "Change password" });
    await dialog.getByLabel("Current password").fill("not the password at all");
    await dialog.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
    await dialog.getByLabel("Repeat the new password").fill(NEW_PASSWORD);
    await dialog.getByRole("button", { name: "Change password" }).click();
    await dialog.getByRole("alert").waitFor();
    await dialog.getByLabel("Current password").fill(OWNER_PASSWORD);
    await dialog.getByRole("button", { name: "Change password" }).click();
    await page.getByRole("dialog", { name: "Password changed" }).waitFor();
    await page.getByRole("button", { name: "Done" }).click();
    // This session goes on.
    await page.goto(`${server.url}/teams/alpha/settings/projects`);
    await page.getByRole("row", { name: /Web/ }).waitFor();
    await Api.signIn(server.url, OWNER_EMAIL, NEW_PASSWORD);
    await expect(Api.signIn(server.url, OWNER_EMAIL, OWNER_PASSWORD)).rejects.toThrow(/401/);
    await page.context().close();
  });

  it("as a Default-role member: nothing the server would refuse, each hidden action saying why", async () => {
    const member = await Api.signIn(server.url, MEMBER_EMAIL, MEMBER_PASSWORD);
    const access = await member.ok<Access>("GET", "/v1/teams/alpha/my-access");
    expect(access.permissions).not.toContain("team.tokens.manage");
    const page = await signIn(MEMBER_EMAIL, MEMBER_PASSWORD);

    await page.goto(`${server.url}/teams/alpha/settings/api/tokens`);
    await page.getByRole("row", { name: /deploy/ }).waitFor();
    await expect.poll(() => page.getByTestId("not-allowed").textContent(), POLL).toContain("team.tokens.manage");
    for (const name of ["Create API token", /^Edit /, /^Regenerate/, /^Revoke/]) expect(await visible(page, name).count()).toBe(0);
    // And the server agrees: the hidden action is refused.
    expect((await member.request("POST", "/v1/teams/alpha/tokens", { name: "x", roleId: "default" })).status).toBe(403);

    await page.goto(`${server.url}/teams/alpha/settings/roles`);
    await page.getByRole("link", { name: "View Admin" }).waitFor();
    await expect.poll(() => page.getByTestId("not-allowed").textContent(), POLL).toContain("team.roles.manage");
    for (const name of ["New role", /^Edit /, /^Delete /]) expect(await visible(page, name).count()).toBe(0);
    await page.getByRole("link", { name: "View Admin" }).click();
    await page.getByRole("heading", { name: "Role: Admin" }).waitFor();
    expect(await page.getByLabel("Role name").isDisabled()).toBe(true);
    for (const name of ["Save role", "Delete role"]) expect(await visible(page, name).count()).toBe(0);
    expect(
      (await member.request("POST", "/v1/teams/alpha/roles", { name: "Mine", permissions: { teamScope: ["team.read"] } })).status,
    ).toBe(403);

    await page.goto(`${server.url}/teams/alpha/settings/members`);
    await page.getByRole("row", { name: /dee@example\.com/ }).waitFor();
    await expect.poll(() => page.getByTestId("not-allowed").textContent(), POLL).toContain("team.members.manage");
    for (const name of ["Invite member", /^Change roles/, /^Remove /]) expect(await visible(page, name).count()).toBe(0);
    expect((await member.request("POST", "/v1/teams/alpha/members", { email: "x@example.com", roles: ["default"] })).status).toBe(403);

    // Projects: the Default role may create (the form shows) but not delete (no Delete buttons; the server agrees).
    await page.goto(`${server.url}/teams/alpha/settings/projects`);
    await page.getByRole("row", { name: /Web/ }).waitFor();
    await page.getByRole("button", { name: "Create project" }).waitFor();
    await expect.poll(() => page.getByTestId("not-allowed").count(), POLL).toBe(0);
    expect(await visible(page, /^Delete /).count()).toBe(0);
    expect((await member.request("DELETE", "/v1/teams/alpha/projects/web")).status).toBe(403);
    await page.context().close();
  });
});
