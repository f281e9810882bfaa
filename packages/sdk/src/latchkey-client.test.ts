import { afterAll, beforeAll, describe, expect, it } from "vitest";
// The server's own test harness, listening on a real port: the sdk is tested over real HTTP with the real fetch.
import { OWNER_EMAIL, OWNER_PASSWORD, startHarness, type Harness } from "../../server/src/test-support/harness.js";
import { ApiError, LatchkeyClient, TransportError } from "./index.js";

describe("LatchkeyClient against a listening server", () => {
  let h: Harness;
  let baseUrl: string;
  let owner: LatchkeyClient;
  let teamId: string;

  beforeAll(async () => {
    h = await startHarness("sqlite");
    baseUrl = await h.app.listen({ port: 0, host: "127.0.0.1" });
    owner = new LatchkeyClient({ baseUrl, origin: "cli" });
    await owner.session.signIn(OWNER_EMAIL, OWNER_PASSWORD);
    teamId = (await owner.teams.create({ name: "SDK team" })).id;
  });
  afterAll(() => h.close());

  it("signs in with a cookie session and sends the CSRF token on unsafe requests", async () => {
    expect((await owner.session.get()).user.email).toBe(OWNER_EMAIL);
    expect(owner.csrfToken).toBeTruthy();
    const role = await owner.teamRoles(teamId).create({ name: "Readers", permissions: { teamScope: ["team.read"] } });
    expect(role).toMatchObject({ id: "readers", restrictions: { enabled: false } });

    const noCsrf = new LatchkeyClient({ baseUrl });
    await noCsrf.session.signIn(OWNER_EMAIL, OWNER_PASSWORD);
    noCsrf.csrfToken = undefined;
    const refused = await noCsrf.teams.create({ name: "No CSRF" }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 403, code: "CSRF_FAILED" });
  });

  it("creates a token whose secret authenticates as a bearer, and revokes it", async () => {
    const created = await owner.tokens({ type: "team", id: teamId }).create({ name: "ci", roleId: "readers", expiresAt: null });
    expect(created.apiToken).toMatchObject({ name: "ci", role: { roleId: "readers" }, active: true });
    const bearer = new LatchkeyClient({ baseUrl, token: created.token });
    expect(await bearer.isValid()).toBe(true);
    expect(await bearer.auth()).toMatchObject({ tokenKind: "api", entityType: "team", entityId: teamId, role: { id: "readers" } });

    await owner.tokens({ type: "team", id: teamId }).revoke(created.apiToken.id);
    expect(await bearer.isValid()).toBe(false);
    const error = await bearer.auth().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    const e = error as ApiError;
    expect(e.status).toBe(401);
    expect(e.code).toMatch(/^TOKEN_/);
    expect(e.requestId).toMatch(/^req_/);
  });

  it("carries the API's error envelope: status, code, message, id and details", async () => {
    const error = (await owner
      .teamRoles(teamId)
      .create({ name: "", permissions: {} })
      .catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(400);
    expect(error.code).toBe("VALIDATION_FAILED");
    expect(error.message).toContain("name");
    expect(error.details).toHaveProperty("fields.name");
    const missing = (await owner.teams.get("no-such-team").catch((e: unknown) => e)) as ApiError;
    expect([403, 404]).toContain(missing.status);
  });

  it("follows cursors across pages until the last one", async () => {
    const tokens = owner.tokens({ type: "team", id: teamId });
    for (let i = 0; i < 5; i++) await tokens.create({ name: `page-${i}`, roleId: "readers" });
    const first = await tokens.list({ perPage: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.pagination).toMatchObject({ hasNextPage: true, count: 2 });
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await tokens.list({ perPage: 2, ...(cursor ? { cursor } : {}) });
      names.push(...page.items.map((t) => t.name));
      cursor = page.pagination.hasNextPage ? page.pagination.cursor : undefined;
    } while (cursor);
    expect(names.filter((n) => n.startsWith("page-")).sort()).toEqual(["page-0", "page-1", "page-2", "page-3", "page-4"]);
    const everything = await tokens.all(true);
    expect(everything.map((t) => t.name)).toContain("ci");
  });

  it("invites, lists and revokes invitations; only the link sent to the address creates an account", async () => {
    const team = { type: "team" as const, id: teamId };
    const first = await owner.members(team).invite("sdk-new@example.com", ["default"]);
    expect(first.invitation).toMatchObject({ email: "sdk-new@example.com", mail: "sent" });
    const second = await owner.members(team).invite("sdk-revoked@example.com", ["default"]);
    const listed = await owner.members(team).invitations();
    expect(listed.map((i) => i.id)).toEqual([second.invitation.id, first.invitation.id]);
    expect(listed[0]).toMatchObject({
      email: "sdk-revoked@example.com",
      roles: ["default"],
      invitedBy: (await owner.session.get()).user.id,
    });

    // The inviter's link does not create an account: the typed error carries the server's code and the address.
    const token = new URL(first.invitation.inviteUrl).searchParams.get("token") ?? "";
    const refused = (await new LatchkeyClient({ baseUrl })
      .acceptInvitation({ token, name: "New", password: "a long enough password" })
      .catch((e: unknown) => e)) as ApiError;
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 403, code: "CONFIRMATION_REQUIRED", details: { email: "sdk-new@example.com" } });

    const invitee = new LatchkeyClient({ baseUrl });
    const joined = await invitee.confirmInvitation({
      token: h.outbox.confirmTokenFor("sdk-new@example.com"),
      name: "New Person",
      password: "a long enough password",
    });
    expect(joined.user).toMatchObject({ email: "sdk-new@example.com", name: "New Person" });
    expect(invitee.csrfToken).toBe(joined.csrfToken);
    expect((await invitee.teams.all()).map((t) => t.id)).toContain(teamId);

    expect(await owner.members(team).revokeInvitation(second.invitation.id)).toEqual({ id: second.invitation.id, revoked: true });
    expect((await owner.members(team).invitations()).map((i) => i.id)).not.toContain(second.invitation.id);
    await expect(
      new LatchkeyClient({ baseUrl }).confirmInvitation({
        token: h.outbox.confirmTokenFor("sdk-revoked@example.com"),
        name: "Too Late",
        password: "a long enough password",
      }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it("manages APIs of your own, and a role grants their permissions", async () => {
    const apis = owner.apis({ type: "team", id: teamId });
    const created = await apis.create({ name: "Billing", permissions: [{ id: "invoices.read" }] });
    expect(created).toMatchObject({ id: "billing", permissions: [{ id: "invoices.read", description: "", sensitive: false }] });
    expect((await apis.all()).map((a) => a.id)).toEqual(["billing"]);
    const updated = await apis.update("billing", { permissions: [{ id: "invoices.read" }, { id: "refunds", sensitive: true }] });
    expect(updated.permissions.map((p) => p.id)).toEqual(["invoices.read", "refunds"]);
    const role = await owner.teamRoles(teamId).create({ name: "Biller", permissions: { apiScope: ["billing:refunds"] } });
    expect(role.permissions.apiScope).toEqual(["billing:refunds"]);
    await expect(owner.teamRoles(teamId).create({ name: "Ghost", permissions: { apiScope: ["billing:nope"] } })).rejects.toMatchObject({
      status: 400,
      details: { unknown: ["billing:nope"] },
    });
    expect(await apis.delete("billing")).toEqual({ id: "billing", deleted: true });
    expect((await owner.teamRoles(teamId).get("biller")).permissions.apiScope).toEqual([]);
    await expect(apis.get("billing")).rejects.toMatchObject({ status: 404 });
  });

  it("gives a pending invitation new links, and says where a link leads", async () => {
    const team = { type: "team" as const, id: teamId };
    const { invitation } = await owner.members(team).invite("newcomer@example.com", ["readers"]);
    const renewed = await owner.members(team).renewInvitation(invitation.id);
    expect(renewed.invitation).toMatchObject({ id: invitation.id, email: "newcomer@example.com" });
    expect(renewed.invitation.inviteUrl).not.toBe(invitation.inviteUrl);
    const anyone = new LatchkeyClient({ baseUrl });
    const token = new URL(renewed.invitation.inviteUrl).searchParams.get("token") ?? "";
    expect(await anyone.lookupInvitation({ token })).toMatchObject({
      entityType: "team",
      entityId: teamId,
      entityName: "SDK team",
      invitedBy: { email: OWNER_EMAIL },
      roles: [{ id: "readers", name: "Readers" }],
    });
    const old = new URL(invitation.inviteUrl).searchParams.get("token") ?? "";
    await expect(anyone.lookupInvitation({ token: old })).rejects.toMatchObject({ status: 404 });
  });

  it("reads an audit feed by an event-type prefix, with names beside ids", async () => {
    const audit = owner.audit({ type: "team", id: teamId });
    const tokens = await audit.all({ eventType: "apiTokens" });
    expect(new Set(tokens.map((e) => e.eventType))).toEqual(new Set(["apiTokens.create", "apiTokens.revoke"]));
    const ci = tokens.find((e) => e.eventType === "apiTokens.create" && e.resource.name === "ci");
    expect(ci?.resource.id).toMatch(/^tok_/);
    expect(tokens[0]?.actor).toMatchObject({ type: "user", email: OWNER_EMAIL, name: "owner" });
    expect(tokens[0]).toMatchObject({ origin: "cli", entity: { type: "team", id: teamId } });
    const refused = await audit.list({ eventType: "apiTokens." }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 400, code: "VALIDATION_FAILED" });
  });

  it("signs out: the session is gone", async () => {
    const client = new LatchkeyClient({ baseUrl });
    await client.session.signIn(OWNER_EMAIL, OWNER_PASSWORD);
    await client.session.signOut();
    await expect(client.session.get()).rejects.toMatchObject({ status: 401, code: "UNAUTHENTICATED" });
  });

  it("reports a server that does not answer as a TransportError", async () => {
    const nowhere = new LatchkeyClient({ baseUrl: "http://127.0.0.1:9" });
    await expect(nowhere.permissions()).rejects.toBeInstanceOf(TransportError);
  });
});
