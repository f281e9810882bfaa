/**
 * A Latchkey server with a lived-in world for the console's Chromium tests (issue 21.3 and 21.8): a team and an
 * organisation with long names and descriptions, tokens (one regenerated, with its old key still live), roles,
 * projects, an API, a trust policy, a webhook, a pending invitation, and a member who holds only the Default role.
 */
import type { Browser, Page } from "playwright-core";
import { consolePrerequisites, submitSignIn } from "./browser-support.js";
import { Api, freePort, OWNER_EMAIL, OWNER_PASSWORD, startServer, waitFor, type ServerProcess } from "./support.js";

export const MEMBER_EMAIL = "dee@example.com";
export const MEMBER_PASSWORD = "a default member's password";

/** Names and descriptions as long as the API takes, and an unbroken one: what breaks a layout. */
export const TEAM_NAME = "Payments platform and developer experience for the billing, invoicing and ledger services";
export const ORG_NAME = "Acme Holdings International — Finance, Treasury and Compliance Engineering Division";
const SENTENCE =
  "Deploys the payments service from GitHub Actions on every merge to main; rotated monthly by the platform team; " +
  "runbook at https://wiki.example.com/platform/runbooks/payments-service-deploy-token-rotation-and-incident-response-procedure. ";
export const LONG_DESCRIPTION = SENTENCE.repeat(4).trim().slice(0, 1000);
export const UNBROKEN_NAME = "payments-service-continuous-deployment-pipeline-token-for-production-eu-west-1";

export interface World {
  server: ServerProcess;
  owner: Api;
  member: Api;
  teamId: string;
  orgId: string;
  orgTeamId: string;
  /** A token regenerated with its old key kept for a day. */
  tokenId: string;
  roleId: string;
  apiId: string;
  /** The inviter's link of a pending invitation (an address with no account yet). */
  inviteUrl: string;
  close(): Promise<void>;
}

/** Starts a server (SQLite) and fills it through the API as its owner. */
export async function startWorld(name: string): Promise<World> {
  await consolePrerequisites();
  const port = await freePort();
  // Without SMTP the invitation's own link is written to the log (warn), where the seed reads it.
  const server = await startServer({
    name,
    port,
    publicUrl: `http://127.0.0.1:${port}`,
    env: { LATCHKEY_LOG_LEVEL: "warn", LATCHKEY_WEBHOOKS_ALLOW_PRIVATE: "true" },
  });
  const owner = await Api.signIn(server.url);
  const teamId = "payments";
  const team = `/v1/teams/${teamId}`;
  await owner.ok("POST", "/v1/teams", { id: teamId, name: TEAM_NAME, description: LONG_DESCRIPTION });
  const role = await owner.ok<{ id: string }>("POST", `${team}/roles`, {
    id: "deployer",
    name: "Deployer of the payments service to every production region",
    description: LONG_DESCRIPTION,
    permissions: { teamScope: ["team.read"], projectScope: ["project.read", "project.create", "project.update"] },
  });
  const token = await owner.ok<{ apiToken: { id: string } }>("POST", `${team}/tokens`, {
    name: UNBROKEN_NAME,
    description: LONG_DESCRIPTION,
    roleId: "deployer",
    allowedIps: ["203.0.113.0/24", "2001:db8::/32"],
  });
  await owner.ok("POST", `${team}/tokens/${token.apiToken.id}/keys`, {
    otherKeysExpiresAt: new Date(Date.now() + 86_400_000).toISOString(),
  });
  const used = await owner.ok<{ token: string }>("POST", `${team}/tokens`, {
    name: "Nightly reconciliation job of the ledger against the bank statements",
    description: LONG_DESCRIPTION,
    roleId: "admin",
  });
  await owner.bearer(used.token).ok("GET", "/v1/projects");
  await owner.ok("POST", `${team}/projects`, { name: "Ledger and double-entry bookkeeping core", description: LONG_DESCRIPTION });
  const api = await owner.ok<{ id: string }>("POST", `${team}/apis`, {
    id: "billing",
    name: "Billing, invoicing and subscription management API for every product line",
    description: LONG_DESCRIPTION,
    permissions: [
      { id: "invoices.read", description: LONG_DESCRIPTION.slice(0, 200) },
      { id: "invoices.write-off-and-refund-in-any-currency", description: "Writes off invoices", sensitive: true },
    ],
  });
  await owner.ok("POST", `${team}/trust-policies`, {
    name: "GitHub Actions deployments of the payments-service repository, main branch only",
    issuer: "https://token.actions.githubusercontent.com",
    audience: "https://github.com/acme-holdings-international-finance-treasury",
    conditions: { sub: "repo:acme-holdings-international/payments-service-monorepo:ref:refs/heads/main" },
    roleId: "deployer",
  });
  await owner.ok("POST", `${team}/webhooks`, {
    url: "http://127.0.0.1:9/hooks/latchkey/payments-platform-and-developer-experience/token-events",
    events: ["token.created", "token.revoked"],
    description: LONG_DESCRIPTION,
  });
  await owner.ok("POST", `${team}/members`, { email: MEMBER_EMAIL, roles: ["default"] });
  const logged = await waitFor(
    () => Promise.resolve(server.output()),
    (out) => /\/invite\?confirm=/.test(out),
    { timeoutMs: 10_000, intervalMs: 50 },
  );
  if (!logged.met) throw new Error(`no invitation link in the log:\n${logged.value}`);
  const confirm = /\/invite\?confirm=([A-Za-z0-9_-]+)/.exec(server.output())?.[1] ?? "";
  await new Api(server.url).ok("POST", "/v1/invitations/confirm", { token: confirm, name: "Dee Fault", password: MEMBER_PASSWORD });
  const pending = await owner.ok<{ invitation: { inviteUrl: string } }>("POST", `${team}/members`, {
    email: "someone.with.a.rather.long.address@finance-treasury.acme-holdings.example.com",
    roles: ["default", "deployer"],
  });

  const orgId = "acme";
  await owner.ok("POST", "/v1/orgs", { id: orgId, name: ORG_NAME });
  const orgTeam = await owner.ok<{ id: string }>("POST", `/v1/orgs/${orgId}/teams`, {
    id: "treasury",
    name: "Treasury operations, cash management and foreign exchange hedging",
    description: LONG_DESCRIPTION,
  });
  await owner.ok("POST", `/v1/orgs/${orgId}/tokens`, { name: UNBROKEN_NAME, description: LONG_DESCRIPTION, roleId: "member" });
  // Dee has an account: the link given to the inviter joins it with her password.
  const orgInvite = await owner.ok<{ invitation: { inviteUrl: string } }>("POST", `/v1/orgs/${orgId}/members`, {
    email: MEMBER_EMAIL,
    roles: ["member"],
  });
  const inviteToken = new URL(orgInvite.invitation.inviteUrl).searchParams.get("token") ?? "";
  await new Api(server.url).ok("POST", "/v1/invitations/accept", { token: inviteToken, password: MEMBER_PASSWORD });
  const member = await Api.signIn(server.url, MEMBER_EMAIL, MEMBER_PASSWORD);
  return {
    server,
    owner,
    member,
    teamId,
    orgId,
    orgTeamId: orgTeam.id,
    tokenId: token.apiToken.id,
    roleId: role.id,
    apiId: api.id,
    inviteUrl: pending.invitation.inviteUrl,
    close: () => server.stop(),
  };
}

/** A new browser context signed in as `email`, at `width` pixels. */
export async function signedIn(browser: Browser, world: World, email: string, password: string, width = 1280): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width, height: 860 } })).newPage();
  page.setDefaultTimeout(15_000);
  await page.goto(`${world.server.url}/sign-in`);
  await submitSignIn(page, email, password);
  await page.getByRole("heading", { name: /Welcome/ }).waitFor();
  return page;
}

export { OWNER_EMAIL, OWNER_PASSWORD };
