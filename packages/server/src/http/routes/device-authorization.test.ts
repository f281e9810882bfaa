import { DeviceAuthorizationReply } from "@latchkey/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../../test-support/databases.js";
import { startHarness, type Client, type Harness, type TestReply } from "../../test-support/harness.js";
import { events } from "../../test-support/audit.js";

const DEVICE = "urn:ietf:params:oauth:grant-type:device_code";
const FORM = { "content-type": "application/x-www-form-urlencoded" };

describe.each(dialects())("device authorization (RFC 8628) on %s", (kind) => {
  let h: Harness;
  let clock = Date.parse("2026-03-01T10:00:00.000Z");
  const advance = (seconds: number) => {
    clock += seconds * 1000;
  };

  const start = async (fields: Record<string, string> = {}) => {
    const res = await h.anon.request("POST", "/v1/oauth/device_authorization", new URLSearchParams(fields).toString(), FORM);
    expect(res.status).toBe(200);
    return DeviceAuthorizationReply.parse(res.body);
  };
  const poll = (deviceCode: string): Promise<TestReply> =>
    h.anon.request("POST", "/v1/oauth/token", new URLSearchParams({ grant_type: DEVICE, device_code: deviceCode }).toString(), FORM);
  const tokenCount = async () =>
    (await h.owner.ok<{ apiTokens: unknown[] }>("GET", "/v1/teams/devices/tokens?all=true&per_page=100")).apiTokens.length;
  const approve = (c: Client, userCode: string, extra: Record<string, unknown> = {}) =>
    c.post("/v1/oauth/device/approve", { userCode, teamId: "devices", roleId: "default", name: "build box", ...extra });

  beforeAll(async () => {
    h = await startHarness(kind, {}, { now: () => new Date(clock) });
    await h.owner.ok("POST", "/v1/teams", { name: "Devices" });
  });
  afterAll(() => h.close());

  it("issues codes, answers authorization_pending, then hands the approved token out exactly once", async () => {
    const s = await start();
    expect(s).toMatchObject({ verification_uri: "http://latchkey.test/device", expires_in: 600, interval: 5 });
    expect(s.user_code).toMatch(/^[B-DF-HJ-NP-TV-XZ]{4}-[B-DF-HJ-NP-TV-XZ]{4}$/);
    expect(s.verification_uri_complete).toBe(`http://latchkey.test/device?user_code=${s.user_code}`);
    expect((await poll(s.device_code)).body).toMatchObject({ error: "authorization_pending" });
    const info = await h.owner.ok<{ userCode: string }>("POST", "/v1/oauth/device/lookup", { userCode: s.user_code.toLowerCase() });
    expect(info.userCode).toBe(s.user_code);
    const approved = await approve(h.owner, s.user_code.replace("-", ""), { lifetimeSeconds: 3600 });
    expect(approved.status).toBe(200);
    expect(JSON.stringify(approved.body)).not.toContain("eyJ");
    advance(5);
    const got = await poll(s.device_code);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ token_type: "Bearer", expires_in: 3595 });
    const token = (got.body as { access_token: string }).access_token;
    expect((await h.client({ bearer: token }).get("/v1/auth")).status).toBe(200);
    // Single use: the same device code gets nothing more.
    advance(5);
    expect((await poll(s.device_code)).body).toMatchObject({ error: "invalid_grant" });
    // Nothing of the codes is stored as given.
    const rows = await h.services.store.db.kysely.selectFrom("device_authorizations").selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(s.device_code);
  });

  it("answers slow_down to a device that polls faster than the interval, and raises the interval by 5 s", async () => {
    const s = await start();
    expect((await poll(s.device_code)).body).toMatchObject({ error: "authorization_pending" });
    advance(2);
    expect((await poll(s.device_code)).body).toMatchObject({ error: "slow_down" });
    advance(6);
    expect((await poll(s.device_code)).body).toMatchObject({ error: "slow_down" });
    advance(14);
    expect((await poll(s.device_code)).body).toMatchObject({ error: "slow_down" });
    advance(20);
    expect((await poll(s.device_code)).body).toMatchObject({ error: "authorization_pending" });
  });

  it("answers access_denied after a denial, and nothing is minted", async () => {
    const before = await tokenCount();
    const s = await start();
    expect(await h.owner.ok("POST", "/v1/oauth/device/deny", { userCode: s.user_code })).toEqual({ denied: true });
    expect((await poll(s.device_code)).body).toMatchObject({ error: "access_denied" });
    expect((await approve(h.owner, s.user_code)).status).toBe(404);
    expect(await tokenCount()).toBe(before);
  });

  it("answers expired_token after ten minutes; the code can no longer be approved", async () => {
    const before = await tokenCount();
    const s = await start();
    advance(601);
    expect((await approve(h.owner, s.user_code)).status).toBe(404);
    expect((await poll(s.device_code)).body).toMatchObject({ error: "expired_token" });
    expect((await poll(s.device_code)).body).toMatchObject({ error: "invalid_grant" });
    expect(await tokenCount()).toBe(before);
  });

  it("limits the requests one address starts (30 per ten minutes) with 429 slow_down", async () => {
    advance(601);
    for (let i = 0; i < 30; i++) await start();
    const res = await h.anon.request("POST", "/v1/oauth/device_authorization", "", FORM);
    expect(res.status).toBe(429);
    expect(res.body).toMatchObject({ error: "slow_down" });
    expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
    advance(601);
    await start();
  });

  it("answers invalid_grant to a guessed device code", async () => {
    const res = await poll("guessed-device-code-0000000000000000000000");
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: "invalid_grant", error_description: "device_code is unknown or was already used" });
  });

  it("rate limits guessed user codes per person (10 a quarter hour)", async () => {
    const guesser = await h.newMember(h.owner, "/v1/teams/devices", ["admin"]);
    const s = await start();
    for (let i = 0; i < 10; i++) expect((await guesser.post("/v1/oauth/device/lookup", { userCode: "BBBB-BBBB" })).status).toBe(404);
    const limited = await guesser.post("/v1/oauth/device/lookup", { userCode: s.user_code });
    expect(limited.status).toBe(429);
    expect(limited.headers["retry-after"]).toBe("900");
    advance(901);
    // The quarter hour has passed (and with it the first request): the person may look up a new one.
    const again = await start();
    expect((await guesser.post("/v1/oauth/device/lookup", { userCode: again.user_code })).status).toBe(200);
  });

  it("refuses approval by an API token, and a role the approver does not cover", async () => {
    const s = await start();
    const { token } = await h.owner.ok<{ token: string }>("POST", "/v1/teams/devices/tokens", { name: "t", roleId: "owner" });
    const res = await approve(h.client({ bearer: token }), s.user_code);
    expect(res.status).toBe(403);
    const narrow = await h.newMember(h.owner, "/v1/teams/devices", ["admin"]);
    expect((await approve(narrow, s.user_code, { roleId: "owner" })).status).toBe(403);
    // The refused approval left the request pending: the owner may still approve it.
    expect((await approve(h.owner, s.user_code)).status).toBe(200);
  });

  it("elevation: the requested lifetime caps the token, and the reason shows in the token list and the audit log", async () => {
    const s = await start({ requested_role: "admin", requested_lifetime: "900", reason: "rotate the deploy key" });
    const info = await h.owner.ok("POST", "/v1/oauth/device/lookup", { userCode: s.user_code });
    expect(info).toMatchObject({ requestedRole: "admin", requestedLifetimeSeconds: 900, reason: "rotate the deploy key" });
    const approved = await approve(h.owner, s.user_code, { roleId: "admin", lifetimeSeconds: 86_400 });
    const meta = (approved.body.data as { apiToken: { id: string; description: string; expiresAt: string } }).apiToken;
    expect(meta.description).toBe("Elevation for 15 min: rotate the deploy key");
    expect(Date.parse(meta.expiresAt) - clock).toBe(900_000);
    const listed = await h.owner.ok<{ apiTokens: { id: string; description: string }[] }>("GET", "/v1/teams/devices/tokens");
    expect(listed.apiTokens.find((t) => t.id === meta.id)?.description).toContain("rotate the deploy key");
    const audit = await events(h.owner, "/v1/teams/devices/audit-logs?per_page=100");
    const created = audit.find((e) => e.eventType === "apiTokens.create" && e.resource.id === meta.id);
    expect(created?.details.after).toMatchObject({ description: "Elevation for 15 min: rotate the deploy key", expiresAt: meta.expiresAt });
    const bad = await h.anon.request("POST", "/v1/oauth/device_authorization", "requested_lifetime=7200", FORM);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: "invalid_request" });
  });
});
