import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { consolePrerequisites, hasText, launchChromium, POLL, submitSignIn } from "./browser-support.js";
import { startInbox, type Inbox } from "./smtp-support.js";
import { Api, freePort, OWNER_EMAIL, OWNER_PASSWORD, ROOT, startServer, type ServerProcess } from "./support.js";

// Screenshots go to docs/ only when asked (npm run screenshots); otherwise to a temporary directory, so that a test
// run never leaves the working tree changed.
const SHOTS = process.env["LATCHKEY_UPDATE_SCREENSHOTS"] === "1" ? join(ROOT, "docs") : mkdtempSync(join(tmpdir(), "latchkey-shots-"));

// playwright-core has no test matchers: these poll the page until the condition holds (or vitest's poll times out).
const hasCount = (locator: Locator, n: number) => expect.poll(() => locator.count(), POLL).toBe(n);
/** The text of the focused element (this test's TypeScript has no DOM types, so the page runs a string). */
const focusedText = (page: Page) => expect.poll(() => page.evaluate("document.activeElement?.textContent"), POLL);

/** Chromium is there, the builds too, and the folder for screenshots. */
async function prerequisites(): Promise<void> {
  await consolePrerequisites();
  mkdirSync(SHOTS, { recursive: true });
}

/**
 * Opens the CLI-login socket as `latchkey login` does and sends `init` (with the pairing code the CLI shows, or none
 * as Northflank's clients); `next(type)` waits for a message of that type.
 */
async function cliLogin(baseUrl: string, code?: string) {
  const socket = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/v1/cli-login`);
  const messages: Record<string, unknown>[] = [];
  socket.on("message", (data: Buffer) => messages.push(JSON.parse(data.toString()) as Record<string, unknown>));
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  socket.send(JSON.stringify({ type: "init", ...(code ? { code } : {}) }));
  const next = async (type: string) => {
    for (let i = 0; i < 300; i++) {
      const found = messages.find((m) => m["type"] === type);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no ${type} message; got ${JSON.stringify(messages)}`);
  };
  return { socket, next };
}

const TEAM = "Payments";
const TEAM_ID = "payments";

describe("web console in Chromium", { timeout: 90_000 }, () => {
  let server: ServerProcess;
  let inbox: Inbox;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let secret = "";
  let rotated = "";

  beforeAll(async () => {
    await prerequisites();
    const port = await freePort();
    // A real SMTP server: invitations reach the invited address, whose link is the only one that creates an account.
    inbox = await startInbox();
    server = await startServer({ name: "console", port, publicUrl: `http://127.0.0.1:${port}`, smtpUrl: inbox.url });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1360, height: 860 } });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await inbox?.close();
  }, 30_000);

  const shot = (name: string, options: Parameters<Page["screenshot"]>[0] = {}) =>
    page.screenshot({ path: join(SHOTS, `console-${name}.png`), animations: "disabled", ...options });

  it("signs in and creates a team", async () => {
    await page.goto(`${server.url}/`);
    await page.waitForURL(/\/sign-in$/);
    await submitSignIn(page, OWNER_EMAIL, "wrong password!");
    await hasText(page.getByRole("alert"), "e-mail or password is wrong");
    await page.getByLabel("Password").fill(OWNER_PASSWORD);
    await shot("sign-in");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: /Welcome/ }).waitFor();

    await page.getByLabel("Team name").fill(TEAM);
    await page.getByRole("button", { name: "Create team" }).click();
    await page.waitForURL(`**/teams/${TEAM_ID}/settings/api/tokens`);
    await page.getByText("No active tokens").waitFor();
    await expect.poll(() => page.getByLabel("Team or organisation").inputValue(), POLL).toBe(`team:${TEAM_ID}`);
  });

  it("creates a role with permissions from the catalogue, sensitive ones marked", async () => {
    await page.getByRole("link", { name: "Roles" }).click();
    await page.getByRole("link", { name: "New role" }).click();
    await page.getByLabel("Role name").fill("Deployer");
    await page.getByLabel("Description").fill("CI pipelines that ship projects");
    for (const label of ["View team", "View projects", "Create projects", "Edit projects"])
      await page.getByLabel(label, { exact: true }).check();
    // Team-role editors never offer organisation-scope permissions; sensitive ones carry a mark.
    expect(await page.getByText("View organisation").count()).toBe(0);
    await hasText(page.locator(".perm.sensitive", { hasText: "Create, rotate and revoke team API tokens" }).locator(".badge"), "sensitive");
    await shot("role-editor", { fullPage: true });
    await page.getByRole("button", { name: "Create role" }).click();
    await page.waitForURL(`**/teams/${TEAM_ID}/settings/roles/deployer`);
    await page.getByRole("heading", { name: "Members with this role" }).waitFor();
    await page.getByText("Nobody holds this role.").waitFor();
    await page.getByLabel("Give this role to").selectOption({ label: `owner (${OWNER_EMAIL})` });
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await page.getByRole("button", { name: `Take the role from ${OWNER_EMAIL}` }).waitFor();

    const api = await Api.signIn(server.url);
    const role = await api.ok<{ permissions: { teamScope: string[]; projectScope: string[] } }>(
      "GET",
      `/v1/teams/${TEAM_ID}/roles/deployer`,
    );
    expect(role.permissions.teamScope).toEqual(["team.read"]);
    expect([...role.permissions.projectScope].sort()).toEqual(["project.create", "project.read", "project.update"]);
  });

  it("registers an API, grants one of its permissions in the role editor (grouped by API), and removing it leaves the role", async () => {
    await page.getByRole("link", { name: "APIs", exact: true }).click();
    await page.getByText("No APIs yet.").waitFor();
    await page.getByRole("link", { name: "New API" }).click();
    await page.getByLabel("API name").fill("Billing");
    await page.getByRole("button", { name: "Add permission" }).click();
    await page.getByRole("button", { name: "Add permission" }).click();
    await page.getByLabel("Permission id").nth(0).fill("invoices.read");
    await page.getByLabel("Permission id").nth(1).fill("refunds");
    await page.getByRole("group", { name: "Permission 2" }).getByLabel("Sensitive").check();
    await page.getByRole("button", { name: "Create API" }).click();
    await page.waitForURL(`**/teams/${TEAM_ID}/settings/apis/billing`);
    const api = await Api.signIn(server.url);
    const billing = await api.ok<{ permissions: { id: string; sensitive: boolean }[] }>("GET", `/v1/teams/${TEAM_ID}/apis/billing`);
    expect(billing.permissions.map((p) => [p.id, p.sensitive])).toEqual([
      ["invoices.read", false],
      ["refunds", true],
    ]);

    await page.getByRole("link", { name: "Roles" }).click();
    await page.getByRole("link", { name: "Deployer", exact: true }).click();
    const group = page.getByRole("group", { name: "API: Billing" });
    await hasText(group.locator(".perm.sensitive"), "billing:refunds");
    await group.getByLabel("billing:invoices.read", { exact: true }).check();
    await shot("role-editor-apis", { fullPage: true });
    await page.getByRole("button", { name: "Save role" }).click();
    await hasText(page.getByRole("status"), "Saved");
    const roleScope = async () =>
      (await api.ok<{ permissions: { apiScope: string[] } }>("GET", `/v1/teams/${TEAM_ID}/roles/deployer`)).permissions.apiScope;
    expect(await roleScope()).toEqual(["billing:invoices.read"]);

    await page.getByRole("link", { name: "APIs", exact: true }).click();
    await page.getByRole("link", { name: "Billing", exact: true }).click();
    await page.getByRole("button", { name: "Remove permission invoices.read" }).click();
    await page.getByRole("button", { name: "Save API" }).click();
    await hasText(page.getByRole("status"), "Saved");
    expect(await roleScope()).toEqual([]);
  });

  it("creates a token, reveals it once, copies it, and the copy authenticates", async () => {
    await page.getByRole("link", { name: "API tokens" }).click();
    await page.getByRole("button", { name: "Create API token" }).click();
    const dialog = page.getByRole("dialog", { name: "Create API token" });
    await dialog.getByLabel("Name").fill("ci-deploy");
    await dialog.getByLabel("Description").fill("GitHub Actions, deploy job");
    await dialog.getByLabel("Role").selectOption("deployer");
    await dialog.getByLabel("7 days").check();
    // Focus stays inside the modal dialog: tabbing through it never reaches the page behind.
    for (let i = 0; i < 15; i++) {
      await page.keyboard.press("Tab");
      // (Strings run in the page: this test's TypeScript has no DOM types.)
      expect(await page.evaluate("document.activeElement?.closest('dialog') !== null")).toBe(true);
    }
    await shot("create-token");
    await dialog.getByRole("button", { name: "Create API token" }).click();

    const reveal = page.getByRole("dialog", { name: "API token created" });
    await hasText(reveal.getByRole("alert"), "It will not be shown again");
    secret = await reveal.getByLabel("Token “ci-deploy”").inputValue();
    expect(secret.split(".")).toHaveLength(3);
    await reveal.getByRole("button", { name: "Copy", exact: true }).click();
    await reveal.getByRole("button", { name: "Copied", exact: true }).waitFor();
    expect(await page.evaluate("navigator.clipboard.readText()")).toBe(secret);
    await shot("token-reveal", { mask: [reveal.locator("input.secret")], maskColor: "#d9dee7" });

    const asToken = new Api(server.url).bearer(secret);
    expect(await asToken.ok("GET", "/v1/auth")).toMatchObject({ tokenKind: "api", entityId: TEAM_ID, role: { id: "deployer" } });
    await reveal.getByRole("button", { name: "I have copied it" }).click();
    await hasCount(page.getByRole("dialog"), 0);
    const row = page.getByRole("row", { name: /ci-deploy/ });
    await hasText(row, "Deployer");
    await hasText(row, OWNER_EMAIL);
    await hasText(row, "Active");
  });

  it("never shows the secret again: not after a reload, not in storage", async () => {
    await page.reload();
    await page.getByRole("row", { name: /ci-deploy/ }).waitFor();
    expect(await page.content()).not.toContain(secret);
    const stored = await page.evaluate("JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })");
    expect(stored).not.toContain(secret);
    // Nor the session's CSRF token: the page reads it from GET /v1/session, and changes still work after the reload.
    expect(stored).toBe("{}{}");
    await hasText(page.getByRole("row", { name: /ci-deploy/ }), "just now");
    await shot("tokens");
  });

  it("regenerates the token: a new secret shown once, the old key kept for the chosen grace period", async () => {
    await page.getByRole("button", { name: "Regenerate ci-deploy" }).click();
    const dialog = page.getByRole("dialog", { name: "Regenerate “ci-deploy”" });
    await dialog.getByLabel("Keep the old key for 1 hour").check();
    await dialog.getByRole("button", { name: "Regenerate", exact: true }).click();
    const reveal = page.getByRole("dialog", { name: "Token regenerated" });
    await hasText(reveal.getByRole("alert"), "It will not be shown again");
    rotated = await reveal.getByLabel("New secret of “ci-deploy”").inputValue();
    expect(rotated).not.toBe(secret);
    for (const key of [rotated, secret]) expect((await new Api(server.url).bearer(key).request("GET", "/v1/auth")).status).toBe(200);
    await reveal.getByRole("button", { name: "I have copied it" }).click();
    await hasCount(page.getByRole("dialog"), 0);
    expect(await page.content()).not.toContain(rotated);
  });

  it("revokes the token after confirmation; revoked tokens show with the toggle", async () => {
    await page.getByRole("button", { name: "Revoke ci-deploy" }).click();
    const confirm = page.getByRole("dialog", { name: "Revoke “ci-deploy”?" });
    await focusedText(page).toBe("Cancel");
    await confirm.getByRole("button", { name: "Revoke token" }).click();
    await hasCount(page.getByRole("row", { name: /ci-deploy/ }), 0);
    await page.getByLabel("Show revoked and expired tokens").check();
    await hasText(page.getByRole("row", { name: /ci-deploy/ }), "Revoked");
    // Every key of the token stops at once, the one kept for its grace period too.
    for (const key of [secret, rotated]) expect((await new Api(server.url).bearer(key).request("GET", "/v1/auth")).status).toBe(401);
  });

  it("shows the revocation in the audit log, filterable, with a link to the token's own feed", async () => {
    await page.getByRole("link", { name: "Audit log" }).click();
    const revoked = page.locator('tr[data-event-type="apiTokens.revoke"]');
    await hasCount(revoked, 1);
    await hasText(revoked, OWNER_EMAIL);
    await hasCount(page.locator('tr[data-event-type="roles.create"]'), 1);
    await shot("audit", { fullPage: true });
    await page.getByLabel("Event type").fill("apiTokens.revoke");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await hasCount(page.locator("tbody tr"), 1);
    await revoked.getByRole("link", { name: /Audit log of token/ }).click();
    await page.getByRole("heading", { name: "Token audit log" }).waitFor();
    // The token's feed holds its own request (GET /v1/auth made with it) and the changes made to it.
    await hasText(page.locator('tr[data-event-type="request"]').first(), "/v1/auth");
    await hasCount(page.locator('tr[data-event-type="apiTokens.create"]'), 1);
  });

  /** Invites `email` with the default role from the members page; returns the link the dialog shows the inviter. */
  const inviteInConsole = async (email: string): Promise<string> => {
    await page.getByRole("button", { name: "Invite member" }).click();
    const invite = page.getByRole("dialog", { name: "Invite a member" });
    await invite.getByLabel("E-mail").fill(email);
    await invite.getByRole("button", { name: "Invite" }).click();
    const ready = page.getByRole("dialog", { name: "Invitation ready" });
    await hasText(ready.getByTestId("mail-note"), `An e-mail with a link was sent to ${email}.`);
    await hasText(ready, "For someone who already has an account here");
    const link = await ready.getByLabel("Invitation link").inputValue();
    await ready.getByRole("button", { name: "Done" }).click();
    await hasText(page.getByRole("row", { name: new RegExp(email.replace(/[.@]/g, "\\$&")) }), "Default");
    return link;
  };

  it("counts the tokens a role's deletion would revoke, and invites a member who joins through the e-mailed link", async () => {
    const api = await Api.signIn(server.url);
    await api.ok("POST", `/v1/teams/${TEAM_ID}/tokens`, { name: "nightly", roleId: "deployer" });
    await page.getByRole("link", { name: "Roles" }).click();
    await page.getByRole("button", { name: "Delete Deployer" }).click();
    await hasText(page.getByTestId("revoke-count"), "revokes 1 API token made from it, at once: nightly");
    await page.getByRole("button", { name: "Cancel" }).click();

    await page.getByRole("link", { name: "Members" }).click();
    await page.getByText("No pending invitations.").waitFor();
    const link = await inviteInConsole("dev@example.com");
    expect(link).toMatch(new RegExp(`^${server.url}/invite\\?token=`));
    const pending = page.getByRole("row", { name: /dev@example\.com/ });
    await hasText(pending, OWNER_EMAIL);
    await hasText(pending, "Default");

    // The link given to the inviter proves nothing about the address: without an account there, the page says to
    // open the link sent to the address (a next step, not an error).
    const invitee = await browser.newContext();
    const joining = await invitee.newPage();
    joining.setDefaultTimeout(15_000);
    await joining.goto(link);
    await joining.getByLabel("Password of your account").fill("a long enough password");
    await joining.getByRole("button", { name: "Join" }).click();
    await hasText(joining.getByTestId("confirmation-required"), "confirm that dev@example.com is yours");
    expect(await joining.getByRole("alert").count()).toBe(0);

    // The link e-mailed to the address creates the account: name and password, and the invitee lands in the team.
    const [mailed] = await inbox.next("dev@example.com", /http:\/\/\S+\/invite\?confirm=[A-Za-z0-9_-]+/);
    expect(mailed.startsWith(`${server.url}/invite?confirm=`)).toBe(true);
    await joining.goto(mailed);
    await joining.getByLabel("Your name").fill("Dev Eloper");
    await joining.getByLabel("Password", { exact: true }).fill("a long enough password");
    await joining.getByLabel("Repeat the password").fill("a long enough password");
    await joining.getByRole("button", { name: "Join" }).click();
    await joining.getByRole("link", { name: TEAM }).waitFor();
    await invitee.close();

    await page.reload();
    await page.getByRole("button", { name: "Change roles of dev@example.com" }).click();
    const roles = page.getByRole("dialog", { name: "Roles of Dev Eloper" });
    await roles.getByLabel("Admin").check();
    await roles.getByRole("button", { name: "Save roles" }).click();
    await hasText(page.getByRole("row", { name: /dev@example\.com/ }), "Admin, Default");
    await hasCount(page.getByRole("row", { name: /dev@example\.com/ }), 1);
  });

  it("lists a second invitation as pending and revokes it after confirmation: its e-mailed link stops working", async () => {
    await inviteInConsole("ops@example.com");
    await page.getByRole("button", { name: "Revoke the invitation of ops@example.com" }).click();
    const confirm = page.getByRole("dialog", { name: "Revoke the invitation of ops@example.com?" });
    await focusedText(page).toBe("Cancel");
    await confirm.getByRole("button", { name: "Revoke invitation" }).click();
    await hasCount(page.getByRole("row", { name: /ops@example\.com/ }), 0);
    await page.getByText("No pending invitations.").waitFor();

    const [, token] = await inbox.next("ops@example.com", /\/invite\?confirm=([A-Za-z0-9_-]+)/);
    const revoked = await new Api(server.url).request("POST", "/v1/invitations/confirm", {
      token,
      name: "Ops",
      password: "a long enough password",
    });
    expect(revoked.status).toBe(404);

    // One left pending for the picture of the page.
    const api = await Api.signIn(server.url);
    await api.ok("POST", `/v1/teams/${TEAM_ID}/members`, { email: "qa@example.com", roles: ["default"] });
    await page.reload();
    await hasText(page.getByRole("row", { name: /qa@example\.com/ }), OWNER_EMAIL);
    await shot("members");
  });

  it("manages an organisation: its teams, a role limited to one team, and an organisation token", async () => {
    await page.getByRole("link", { name: "Latchkey" }).click();
    await page.getByLabel("Organisation name").fill("Acme");
    await page.getByRole("button", { name: "Create organisation" }).click();
    await page.waitForURL("**/orgs/acme/settings/teams");
    await page.getByText("This organisation has no teams yet").waitFor();
    await page.getByLabel("New team name").fill("Platform");
    await page.getByRole("button", { name: "Create team" }).click();
    await page.getByRole("row", { name: /Platform/ }).waitFor();
    await shot("org-teams");

    await page.getByRole("link", { name: "Organisation roles" }).click();
    await page.getByRole("link", { name: "Edit Member" }).click();
    await page.getByLabel("Limit to chosen teams of the organisation").check();
    await page.getByRole("checkbox", { name: /^Platform/ }).check();
    await page.getByRole("button", { name: "Save role" }).click();
    await page.getByText("Saved.").waitFor();
    const api = await Api.signIn(server.url);
    expect(await api.ok("GET", "/v1/orgs/acme/roles/member")).toMatchObject({
      restrictions: { enabled: true, teams: [{ teamId: "platform", restrictions: { enabled: false } }] },
    });

    await page.getByRole("link", { name: "API tokens" }).click();
    await page.getByRole("button", { name: "Create API token" }).click();
    const dialog = page.getByRole("dialog", { name: "Create API token" });
    await dialog.getByLabel("Name").fill("org reporting");
    await dialog.getByLabel("Role").selectOption("member");
    await dialog.getByLabel("No expiry").check();
    await dialog.getByRole("button", { name: "Create API token" }).click();
    const reveal = page.getByRole("dialog", { name: "API token created" });
    const orgSecret = await reveal.getByLabel("Token “org reporting”").inputValue();
    expect(await new Api(server.url).bearer(orgSecret).ok("GET", "/v1/auth")).toMatchObject({ entityType: "org", entityId: "acme" });
    await reveal.getByRole("button", { name: "I have copied it" }).click();
    await hasText(page.getByRole("row", { name: /org reporting/ }), "No expiry");
  });

  it("approves a CLI login after signing in (the CLI receives a working token), and denies another", async () => {
    const { socket, next } = await cliLogin(server.url, "KXQ7-M2PA");
    const loginPage = String((await next("init-ack"))["loginPage"]);
    expect(loginPage).toContain("/cli-login?sessionToken=");

    // A browser that is not signed in is sent to sign in first, then back to the approval page.
    const fresh = await browser.newContext({ viewport: { width: 1100, height: 860 } });
    const cli = await fresh.newPage();
    await cli.goto(loginPage);
    await cli.waitForURL(/\/sign-in\?next=/);
    await cli.getByText("Sign in to approve the command-line login").waitFor();
    await submitSignIn(cli, OWNER_EMAIL, OWNER_PASSWORD);
    await cli.waitForURL(/\/cli-login\?sessionToken=/);
    await cli.getByLabel("Team", { exact: true }).selectOption(TEAM_ID);
    await cli.getByLabel("Role").selectOption("deployer");
    await cli.getByLabel("Token name").fill("laptop CLI");
    await cli.getByLabel("30 days").check();
    // The code the terminal shows, to compare: Approve waits until the person says it matches.
    await hasText(cli.getByTestId("pairing-code"), "KXQ7-M2PA");
    expect(await cli.getByRole("button", { name: "Approve" }).isDisabled()).toBe(true);
    await cli.getByLabel("My terminal shows this same code").check();
    await cli.screenshot({ path: join(SHOTS, "console-cli-login.png"), animations: "disabled" });
    await cli.getByRole("button", { name: "Approve" }).click();
    await cli.getByRole("heading", { name: "Command-line login approved" }).waitFor();

    const success = await next("login-success");
    expect(success["contextName"]).toBe(TEAM_ID);
    const token = String(success["apiToken"]);
    expect(await new Api(server.url).bearer(token).ok("GET", "/v1/auth")).toMatchObject({
      tokenKind: "api",
      name: "laptop CLI",
      entityId: TEAM_ID,
      role: { id: "deployer" },
    });
    socket.close();

    // Denying tells the waiting CLI no, and mints nothing.
    const second = await cliLogin(server.url);
    await cli.goto(String((await second.next("init-ack"))["loginPage"]));
    await hasText(cli.getByTestId("no-pairing-code"), "showed no pairing code");
    await cli.getByRole("button", { name: "Deny" }).click();
    await cli.getByRole("heading", { name: "Command-line login denied" }).waitFor();
    expect(await second.next("login-failure")).toMatchObject({ type: "login-failure" });
    second.socket.close();
    await fresh.close();
  });

  it("signs out: the session ends and the console asks to sign in again", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/sign-in$/);
    await page.goto(`${server.url}/teams/${TEAM_ID}/settings/members`);
    await page.waitForURL(/\/sign-in\?next=%2Fteams%2Fpayments%2Fsettings%2Fmembers$/);
    expect(await page.evaluate("fetch('/v1/session').then((r) => r.status)")).toBe(401);
  });
});

describe("first-run setup in the console", { timeout: 90_000 }, () => {
  let server: ServerProcess;
  let browser: Browser;

  beforeAll(async () => {
    await prerequisites();
    const port = await freePort();
    server = await startServer({ name: "console-setup", port, publicUrl: `http://127.0.0.1:${port}`, bootstrap: false });
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, 30_000);

  it("creates the owner account through the printed one-time link, signed in at once", async () => {
    const link = /http:\/\/[^\s"]+\/setup\?token=[\w-]+/.exec(server.output())?.[0];
    expect(link, server.output()).toBeTruthy();
    const page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    // A link of another start says so as the page opens, with no form to fill in.
    await page.goto(link!.replace(/token=[\w-]+/, "token=not-this-runs-link"));
    await hasText(page.getByRole("alert"), "This setup link is not valid");
    expect(await page.getByLabel("E-mail").count()).toBe(0);
    await page.goto(link!);
    await page.getByLabel("E-mail").fill("first@example.com");
    await page.getByLabel("Your name").fill("First Owner");
    // Each password field says what is wrong with what it holds now, as it is typed.
    const password = page.getByLabel("Password", { exact: true });
    const repeat = page.getByLabel("Repeat the password");
    await password.fill("too short");
    await hasText(page.locator(".field-error"), "Too short: 9 of at least 12 characters.");
    await password.fill("the very first password");
    await hasCount(page.locator(".field-error"), 0);
    await repeat.fill("the very fist");
    await hasText(page.locator(".field-error"), "Does not match the password above.");
    await repeat.fill("the very first password");
    await hasCount(page.locator(".field-error"), 0);
    await page.getByRole("button", { name: "Create the owner account" }).click();
    await page.getByRole("heading", { name: "Welcome, First Owner" }).waitFor();
    // The link works once, and says so when opened again.
    const again = await fetch(`${server.url}/v1/setup`).then((r) => r.json() as Promise<{ data: { needsSetup: boolean } }>);
    expect(again.data.needsSetup).toBe(false);
    const later = await (await browser.newContext()).newPage();
    await later.goto(link!);
    await hasText(later.getByRole("alert"), "This setup link has been used");
    expect(await later.getByLabel("E-mail").count()).toBe(0);
    await later.getByRole("link", { name: "Sign in" }).waitFor();
  });
});
