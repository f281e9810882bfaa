import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../test-support/databases.js";
import { OWNER_EMAIL, OWNER_PASSWORD, startHarness, type Client, type Harness } from "../test-support/harness.js";

// Issue #7, item 4 (ASVS V7): cookie flags, CSRF, a new session id at every sign-in, every session of a person ended
// when their password changes or they are removed, idle and absolute timeouts. Clocks are the harness's, not sleeps.

const COOKIE = "latchkey_session";
const MINUTE = 60_000;

interface SignedIn {
  cookie: string;
  csrf: string;
  setCookie: string;
  userId: string;
}

async function signInRaw(h: Harness, email: string, password: string, headers: Record<string, string> = {}): Promise<SignedIn> {
  const res = await h.app.inject({ method: "POST", url: "/v1/session", payload: { email, password }, headers });
  expect(res.statusCode, res.body).toBe(200);
  const data = (JSON.parse(res.body) as { data: { csrfToken: string; user: { id: string } } }).data;
  const value = res.cookies.find((c) => c.name === COOKIE)?.value ?? "";
  return { cookie: value, csrf: data.csrfToken, setCookie: String(res.headers["set-cookie"]), userId: data.user.id };
}

const as = (h: Harness, s: { cookie: string; csrf?: string }): Client => h.client({ cookie: `${COOKIE}=${s.cookie}`, csrf: s.csrf ?? "" });

/** The attributes of one Set-Cookie header, lower-cased names. */
function attributes(setCookie: string): Map<string, string> {
  const [, ...attrs] = setCookie.split(";").map((p) => p.trim());
  return new Map(attrs.map((a) => [a.split("=")[0]?.toLowerCase() ?? "", a.split("=").slice(1).join("=")]));
}

describe.each(dialects())("console sessions (security) on %s", (kind) => {
  let h: Harness;
  let clock = Date.now();
  const tick = (ms: number) => {
    clock += ms;
  };

  beforeAll(async () => {
    h = await startHarness(kind, { LATCHKEY_SESSION_IDLE_MINUTES: "5", LATCHKEY_SESSION_MAX_HOURS: "1" }, { now: () => new Date(clock) });
    await h.owner.ok("POST", "/v1/teams", { name: "Alpha" });
  });
  afterAll(() => h.close());

  describe("cookie", () => {
    it("is HttpOnly, SameSite=Lax, Path=/, host-only, not Secure on http, and lives no longer than a session may", async () => {
      const s = await signInRaw(h, OWNER_EMAIL, OWNER_PASSWORD);
      expect(s.setCookie.startsWith(`${COOKIE}=`)).toBe(true);
      const a = attributes(s.setCookie);
      expect(a.has("httponly")).toBe(true);
      expect(a.get("samesite")).toBe("Lax");
      expect(a.get("path")).toBe("/");
      expect(a.has("domain")).toBe(false);
      expect(a.has("secure")).toBe(false);
      expect(Number(a.get("max-age"))).toBe(3600);
      // The id is long and random: 32 bytes, base64url.
      expect(s.cookie).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });

    it("is cleared on sign-out with the same attributes, and the old value is dead", async () => {
      const s = await signInRaw(h, OWNER_EMAIL, OWNER_PASSWORD);
      const res = await h.app.inject({
        method: "DELETE",
        url: "/v1/session",
        headers: { cookie: `${COOKIE}=${s.cookie}`, "x-csrf-token": s.csrf },
      });
      expect(res.statusCode).toBe(200);
      const cleared = String(res.headers["set-cookie"]);
      expect(cleared).toMatch(new RegExp(`^${COOKIE}=;`));
      const a = attributes(cleared);
      expect(a.has("httponly")).toBe(true);
      expect(a.get("path")).toBe("/");
      expect(Date.parse(a.get("expires") ?? "") <= Date.now() || a.get("max-age") === "0").toBe(true);
      expect((await as(h, s).get("/v1/teams")).status).toBe(401);
    });
  });

  describe("CSRF", () => {
    let s: SignedIn;
    beforeAll(async () => {
      s = await signInRaw(h, OWNER_EMAIL, OWNER_PASSWORD);
    });

    it("an unsafe cookie request without the header, with a wrong one, or with another session's is 403 and changes nothing", async () => {
      const other = await signInRaw(h, OWNER_EMAIL, OWNER_PASSWORD);
      for (const csrf of [undefined, "", "x", s.cookie, other.csrf, `${s.csrf} `, s.csrf.toUpperCase(), "a".repeat(10_000)]) {
        const headers: Record<string, string> = { cookie: `${COOKIE}=${s.cookie}` };
        if (csrf !== undefined) headers["x-csrf-token"] = csrf;
        for (const [method, url, payload] of [
          ["POST", "/v1/teams/alpha/projects", { name: "csrf" }],
          ["PATCH", "/v1/teams/alpha", { name: "Hijacked" }],
          ["DELETE", "/v1/teams/alpha", undefined],
          ["POST", "/v1/teams/alpha/tokens", { name: "stolen", roleId: "owner" }],
        ] as const) {
          const res = await h.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
          expect(res.statusCode, `${method} ${url} csrf=${String(csrf).slice(0, 10)}`).toBe(403);
          expect(res.body).toContain("CSRF_FAILED");
        }
      }
      const team = await h.owner.ok<{ name: string }>("GET", "/v1/teams/alpha");
      expect(team.name).toBe("Alpha");
      expect((await h.owner.get("/v1/teams/alpha/projects/csrf")).status).toBe(404);
      expect((await h.owner.ok<{ apiTokens: unknown[] }>("GET", "/v1/teams/alpha/tokens?all=true")).apiTokens).toEqual([]);
    });

    it("a cross-site form cannot sign anyone in (login CSRF): only JSON is read, and a form cannot send JSON", async () => {
      const json = JSON.stringify({ email: OWNER_EMAIL, password: OWNER_PASSWORD });
      for (const [contentType, payload, status] of [
        [
          "application/x-www-form-urlencoded",
          `email=${encodeURIComponent(OWNER_EMAIL)}&password=${encodeURIComponent(OWNER_PASSWORD)}`,
          415,
        ],
        ["multipart/form-data; boundary=x", `--x\r\nContent-Disposition: form-data; name="email"\r\n\r\n${OWNER_EMAIL}\r\n--x--`, 415],
        ["text/plain", json, 400],
      ] as const) {
        for (const url of ["/v1/session", "/v1/invitations/accept", "/v1/setup"]) {
          const res = await h.app.inject({ method: "POST", url, headers: { "content-type": contentType }, payload });
          expect(res.statusCode, `${url} as ${contentType}`).toBe(status);
          expect(res.headers["set-cookie"]).toBeUndefined();
        }
      }
    });

    it("the CSRF token is no credential on its own, nor is the session id as a bearer token", async () => {
      expect((await h.app.inject({ method: "GET", url: "/v1/teams", headers: { "x-csrf-token": s.csrf } })).statusCode).toBe(401);
      expect((await h.app.inject({ method: "GET", url: "/v1/teams", headers: { cookie: `${COOKIE}=${s.csrf}` } })).statusCode).toBe(401);
      expect((await h.client({ bearer: s.cookie }).get("/v1/teams")).status).toBe(401);
    });

    it("reads pass on the cookie alone, changes with the header", async () => {
      expect((await as(h, { cookie: s.cookie }).get("/v1/teams/alpha")).status).toBe(200);
      expect((await as(h, s).post("/v1/teams/alpha/projects", { name: "with-header" })).status).toBe(200);
    });
  });

  describe("rotation at sign-in (no session fixation)", () => {
    it("a session id planted before sign-in is never adopted: sign-in issues a new one and the planted one stays what it was", async () => {
      const planted = await signInRaw(h, OWNER_EMAIL, OWNER_PASSWORD);
      // The victim signs in while the browser carries a cookie value chosen by someone else.
      for (const value of [planted.cookie, "attacker-chosen-session-id-0000000000000000"]) {
        const fresh = await signInRaw(h, OWNER_EMAIL, OWNER_PASSWORD, { cookie: `${COOKIE}=${value}` });
        expect(fresh.cookie).not.toBe(value);
        expect(fresh.csrf).not.toBe(planted.csrf);
      }
      expect((await as(h, { cookie: "attacker-chosen-session-id-0000000000000000" }).get("/v1/session")).status).toBe(401);
    });

    it("every sign-in gives a distinct id and CSRF token", async () => {
      const ids = new Set<string>();
      const csrfs = new Set<string>();
      for (let i = 0; i < 4; i++) {
        const s = await signInRaw(h, OWNER_EMAIL, OWNER_PASSWORD);
        ids.add(s.cookie);
        csrfs.add(s.csrf);
      }
      expect(ids.size).toBe(4);
      expect(csrfs.size).toBe(4);
    });
  });

  describe("password change ends every session of the person", () => {
    let email: string;
    let password: string;
    let sessions: SignedIn[];
    beforeAll(async () => {
      email = `pw-${Date.now()}@example.com`;
      const member = await h.newMember(h.owner, "/v1/teams/alpha", ["admin"], email);
      expect(member.userId).toBeTruthy();
      // newMember chose a random password: set one we know through the endpoint under test, from its session.
      password = "first password, long enough";
      const reset = await h.services.store.users.byEmail(email);
      expect(reset).toBeTruthy();
      const { hashPassword } = await import("../lib/passwords.js");
      await h.services.store.users.setPassword(reset?.id ?? "", await hashPassword(password), new Date(clock).toISOString());
      sessions = [await signInRaw(h, email, password), await signInRaw(h, email, password), await signInRaw(h, email, password)];
      for (const s of sessions) expect((await as(h, s).get("/v1/teams/alpha")).status).toBe(200);
    });

    it("refuses a wrong current password with 400 and changes nothing", async () => {
      const res = await as(h, sessions[0] as SignedIn).post("/v1/session/password", {
        currentPassword: "not it",
        newPassword: "second password, long enough",
      });
      expect(res.status).toBe(400);
      expect(res.body.error?.details).toHaveProperty("fields.currentPassword");
      for (const s of sessions) expect((await as(h, s).get("/v1/teams/alpha")).status).toBe(200);
      await signInRaw(h, email, password);
    });

    it("refuses a weak new password, an API token, and a missing CSRF header, changing nothing", async () => {
      const s = sessions[0] as SignedIn;
      expect((await as(h, s).post("/v1/session/password", { currentPassword: password, newPassword: "short" })).status).toBe(400);
      const noCsrf = await as(h, { cookie: s.cookie }).post("/v1/session/password", {
        currentPassword: password,
        newPassword: "second password, long enough",
      });
      expect(noCsrf.status).toBe(403);
      const { token } = await as(h, s).ok<{ token: string }>("POST", "/v1/teams/alpha/tokens", { name: "pw", roleId: "default" });
      const byToken = await h.client({ bearer: token }).post("/v1/session/password", {
        currentPassword: password,
        newPassword: "second password, long enough",
      });
      expect(byToken.status).toBe(403);
      for (const x of sessions) expect((await as(h, x).get("/v1/teams/alpha")).status).toBe(200);
    });

    it("ends all of them, including the caller's, which gets a new id; the old password stops working", async () => {
      const newPassword = "second password, long enough";
      const res = await h.app.inject({
        method: "POST",
        url: "/v1/session/password",
        headers: { cookie: `${COOKIE}=${sessions[1]?.cookie ?? ""}`, "x-csrf-token": sessions[1]?.csrf ?? "" },
        payload: { currentPassword: password, newPassword },
      });
      expect(res.statusCode, res.body).toBe(200);
      const fresh = res.cookies.find((c) => c.name === COOKIE)?.value ?? "";
      const csrf = (JSON.parse(res.body) as { data: { csrfToken: string } }).data.csrfToken;
      expect(res.body).not.toContain(newPassword);
      expect(sessions.map((s) => s.cookie)).not.toContain(fresh);
      for (const s of sessions) {
        expect((await as(h, s).get("/v1/teams/alpha")).status).toBe(401);
        expect((await as(h, s).get("/v1/session")).status).toBe(401);
      }
      expect((await as(h, { cookie: fresh, csrf }).get("/v1/teams/alpha")).status).toBe(200);
      expect((await h.anon.post("/v1/session", { email, password })).status).toBe(401);
      await signInRaw(h, email, newPassword);
      // Another person's sessions are untouched.
      expect((await h.owner.get("/v1/teams/alpha")).status).toBe(200);
    });
  });

  it("a pending invitation is no unthrottled password oracle once its e-mail has an account", async () => {
    const email = `oracle-${Date.now()}@example.com`;
    await h.owner.ok("POST", "/v1/teams", { id: "oracle-a", name: "oracle a" });
    await h.owner.ok("POST", "/v1/teams", { id: "oracle-b", name: "oracle b" });
    const tokenOf = async (team: string) => {
      const r = await h.owner.ok<{ invitation: { inviteUrl: string } }>("POST", `/v1/teams/${team}/members`, { email, roles: ["default"] });
      return new URL(r.invitation.inviteUrl).searchParams.get("token") ?? "";
    };
    // Two invitations while the person has no account; they accept one (through the link sent to the address) and so
    // get an account.
    await tokenOf("oracle-a");
    const confirmFirst = h.outbox.confirmTokenFor(email);
    const second = await tokenOf("oracle-b");
    const password = "the invitee's real password";
    const accept = (token: string, pw: string, ip: string) =>
      h.app.inject({ method: "POST", url: "/v1/invitations/accept", payload: { token, name: "Oracle", password: pw }, remoteAddress: ip });
    const confirmed = await h.app.inject({
      method: "POST",
      url: "/v1/invitations/confirm",
      payload: { token: confirmFirst, name: "Oracle", password },
    });
    expect(confirmed.statusCode).toBe(200);
    // Whoever holds the second link guesses the password through it: the guesses count like failed sign-ins, and each
    // is answered as if the address had no account.
    for (let i = 0; i < 10; i++) expect((await accept(second, `guess number ${i} of many`, `10.7.1.${i}`)).statusCode).toBe(403);
    const blocked = await accept(second, password, "10.7.2.1");
    expect(blocked.statusCode).toBe(429);
    expect(blocked.headers["set-cookie"]).toBeUndefined();
    // And the invitation is still unused: nothing changed.
    const row = await h.services.store.invitations.byTokenHash((await import("../lib/secrets.js")).sha256(second));
    expect(row?.accepted_at).toBeNull();
  });

  it("removing a person's account ends every session of theirs", async () => {
    const email = `gone-${Date.now()}@example.com`;
    const member = await h.newMember(h.owner, "/v1/teams/alpha", ["default"], email);
    expect((await member.get("/v1/teams/alpha")).status).toBe(200);
    // There is no account-deletion endpoint yet: the store's delete is what one would call, and sessions go with it.
    await h.services.store.db.kysely.deleteFrom("memberships").where("user_id", "=", member.userId).execute();
    await h.services.store.db.kysely.deleteFrom("users").where("id", "=", member.userId).execute();
    // Sessions are served from memory since issue 17: a deletion announces itself on the change feed, as every change
    // to a user's sessions or roles does (the service that will delete accounts must publish this in its transaction).
    await h.services.store.publish({ t: "user", id: member.userId });
    expect((await member.get("/v1/session")).status).toBe(401);
    expect((await member.get("/v1/teams/alpha")).status).toBe(401);
    const left = await h.services.store.db.kysely.selectFrom("sessions").select("id_hash").where("user_id", "=", member.userId).execute();
    expect(left).toEqual([]);
  });

  describe("timeouts", () => {
    it("an idle session ends after the idle timeout; activity keeps it alive until then", async () => {
      const s = await signInRaw(h, OWNER_EMAIL, OWNER_PASSWORD);
      const c = as(h, s);
      tick(4 * MINUTE);
      expect((await c.get("/v1/session")).status).toBe(200);
      tick(4 * MINUTE); // 8 minutes after sign-in, 4 after the last request
      expect((await c.get("/v1/session")).status).toBe(200);
      tick(5 * MINUTE - 1);
      expect((await c.get("/v1/session")).status).toBe(200);
      tick(5 * MINUTE);
      expect((await c.get("/v1/session")).status).toBe(401);
      expect((await c.get("/v1/teams")).status).toBe(401);
      // Once ended it stays ended, whatever the clock does next.
      tick(-20 * MINUTE);
      expect((await c.get("/v1/session")).status).toBe(401);
      tick(20 * MINUTE);
    });

    it("an active session still ends at its absolute end", async () => {
      const s = await signInRaw(h, OWNER_EMAIL, OWNER_PASSWORD);
      const c = as(h, s);
      for (let t = 0; t < 56; t += 4) {
        tick(4 * MINUTE);
        expect((await c.get("/v1/session")).status, `${t + 4} minutes`).toBe(200);
      }
      tick(3 * MINUTE + 59_999); // 59:59.999 after sign-in
      expect((await c.get("/v1/session")).status).toBe(200);
      tick(1);
      expect((await c.get("/v1/session")).status).toBe(401);
      expect((await c.post("/v1/teams/alpha/projects", { name: "late" })).status).toBe(401);
    });
  });
});

describe("console sessions behind https", () => {
  it("mark the cookie Secure on sign-in and on password change", async () => {
    const h = await startHarness("sqlite", { LATCHKEY_PUBLIC_URL: "https://keys.example.com" });
    try {
      const s = await signInRaw(h, OWNER_EMAIL, OWNER_PASSWORD);
      expect(attributes(s.setCookie).has("secure")).toBe(true);
      const res = await h.app.inject({
        method: "POST",
        url: "/v1/session/password",
        headers: { cookie: `${COOKIE}=${s.cookie}`, "x-csrf-token": s.csrf },
        payload: { currentPassword: OWNER_PASSWORD, newPassword: "a new and long password" },
      });
      expect(res.statusCode).toBe(200);
      expect(attributes(String(res.headers["set-cookie"])).has("secure")).toBe(true);
      expect(attributes(String(res.headers["set-cookie"])).get("samesite")).toBe("Lax");
    } finally {
      await h.close();
    }
  });
});
