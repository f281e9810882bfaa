import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../../test-support/databases.js";
import { OWNER_EMAIL, OWNER_PASSWORD, startHarness, type Harness } from "../../test-support/harness.js";

const signIn = (h: Harness, email: string, password: string, ip = "10.0.0.1") =>
  h.app.inject({ method: "POST", url: "/v1/session", payload: { email, password }, remoteAddress: ip });

describe.each(dialects())("console sessions on %s", (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind);
  });
  afterAll(() => h.close());

  it("signs in with a session cookie that is HttpOnly and SameSite=Lax, and returns a CSRF token", async () => {
    const res = await signIn(h, OWNER_EMAIL, OWNER_PASSWORD);
    expect(res.statusCode).toBe(200);
    const cookie = res.cookies.find((c) => c.name === "latchkey_session");
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/" });
    expect(cookie?.secure).toBeFalsy();
    const data = (JSON.parse(res.body) as { data: { user: { email: string }; csrfToken: string } }).data;
    expect(data.user.email).toBe(OWNER_EMAIL);
    expect(data.csrfToken.length).toBeGreaterThan(20);
    expect(res.body).not.toContain("password");
  });

  it("gives a new session id at every sign-in", async () => {
    const a = (await signIn(h, OWNER_EMAIL, OWNER_PASSWORD)).cookies.find((c) => c.name === "latchkey_session")?.value;
    const b = (await signIn(h, OWNER_EMAIL, OWNER_PASSWORD)).cookies.find((c) => c.name === "latchkey_session")?.value;
    expect(a).toBeTruthy();
    expect(a).not.toBe(b);
  });

  it("accepts e-mail in any case", async () => {
    expect((await signIn(h, OWNER_EMAIL.toUpperCase(), OWNER_PASSWORD)).statusCode).toBe(200);
  });

  it("refuses a wrong password and an unknown account alike", async () => {
    const wrong = await signIn(h, OWNER_EMAIL, "not the password", "10.0.0.2");
    const unknown = await signIn(h, "nobody@example.com", "whatever", "10.0.0.2");
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    const message = (body: string) => (JSON.parse(body) as { error: { message: string } }).error.message;
    expect(message(wrong.body)).toBe(message(unknown.body));
  });

  it("throttles repeated failures per account with 429 and Retry-After, even with the right password", async () => {
    const email = `victim-${randomBytes(3).toString("hex")}@example.com`;
    const password = "the victim's real password";
    await h.newMember(
      h.owner,
      "/v1/teams/" + (await h.owner.ok<{ id: string }>("POST", "/v1/teams", { name: `t-${randomBytes(3).toString("hex")}` })).id,
      ["default"],
      email,
      password,
    );
    for (let i = 0; i < 10; i++) expect((await signIn(h, email, "wrong password", `10.1.0.${i}`)).statusCode).toBe(401);
    // The right password, from a fresh address: the account waits all the same (the check comes before the password).
    const blocked = await signIn(h, email, password, "10.1.0.99");
    expect(blocked.statusCode).toBe(429);
    expect(blocked.headers["set-cookie"]).toBeUndefined();
    expect(Number(blocked.headers["retry-after"])).toBeGreaterThan(0);
    expect((JSON.parse(blocked.body) as { error: { code: string } }).error.code).toBe("RATE_LIMITED");
  });

  it("throttles repeated failures per address across accounts", async () => {
    for (let i = 0; i < 10; i++) await signIn(h, `spray${i}@example.com`, "guess", "10.9.9.9");
    expect((await signIn(h, OWNER_EMAIL, OWNER_PASSWORD, "10.9.9.9")).statusCode).toBe(429);
    expect((await signIn(h, OWNER_EMAIL, OWNER_PASSWORD, "10.9.9.10")).statusCode).toBe(200);
  });

  it("counts failures other processes saw: an address that failed elsewhere is refused here after one sync", async () => {
    const minute = Math.floor(Date.now() / 900_000) * 15;
    // Another process counted 10 failed sign-ins from this address in this quarter hour.
    await h.services.store.rateLimits.add([{ key: "pw:ip:10.8.8.8", window_minute: minute, count: 10 }]);
    // Not yet known here: the check marks the address, the next sync reads its total.
    expect((await signIn(h, OWNER_EMAIL, OWNER_PASSWORD, "10.8.8.8")).statusCode).toBe(200);
    await h.services.throttle.sync();
    expect((await signIn(h, OWNER_EMAIL, OWNER_PASSWORD, "10.8.8.8")).statusCode).toBe(429);
    // And this process's failures reach the store for the others.
    for (let i = 0; i < 3; i++) await signIn(h, OWNER_EMAIL, "wrong", "10.8.8.9");
    await h.services.throttle.sync();
    const row = await h.services.store.db.kysely
      .selectFrom("rate_limits")
      .select("count")
      .where("key", "=", "pw:ip:10.8.8.9")
      .where("window_minute", "=", minute)
      .executeTakeFirst();
    expect(row?.count).toBe(3);
  });

  it("gives the session's CSRF token again on GET /v1/session, so that the console keeps it nowhere", async () => {
    const first = await signIn(h, OWNER_EMAIL, OWNER_PASSWORD);
    const other = await signIn(h, OWNER_EMAIL, OWNER_PASSWORD);
    const cookieOf = (res: typeof first) => `latchkey_session=${res.cookies.find((c) => c.name === "latchkey_session")?.value ?? ""}`;
    const csrfOf = (res: typeof first) => (JSON.parse(res.body) as { data: { csrfToken: string } }).data.csrfToken;
    const read = await h.app.inject({ method: "GET", url: "/v1/session", headers: { cookie: cookieOf(first) } });
    expect(read.statusCode).toBe(200);
    expect(read.headers["cache-control"]).toBe("no-store");
    const data = (JSON.parse(read.body) as { data: { user: { email: string }; csrfToken: string } }).data;
    expect(data).toEqual({ user: expect.objectContaining({ email: OWNER_EMAIL }) as unknown, csrfToken: csrfOf(first) });
    // Each session has its own: one session's token is refused with another's cookie.
    expect(csrfOf(other)).not.toBe(csrfOf(first));
    const crossed = await h.app.inject({
      method: "POST",
      url: "/v1/teams",
      headers: { cookie: cookieOf(other), "x-csrf-token": data.csrfToken },
      payload: { name: "Crossed" },
    });
    expect(crossed.statusCode).toBe(403);
    const made = await h.app.inject({
      method: "POST",
      url: "/v1/teams",
      headers: { cookie: cookieOf(first), "x-csrf-token": data.csrfToken },
      payload: { name: "Read Again" },
    });
    expect(made.statusCode, made.body).toBe(200);
  });

  it("ends a session whose CSRF token was not derived from its id (opened by an earlier version)", async () => {
    const res = await signIn(h, OWNER_EMAIL, OWNER_PASSWORD);
    const id = res.cookies.find((c) => c.name === "latchkey_session")?.value ?? "";
    const cookie = `latchkey_session=${id}`;
    await h.services.store.db.kysely
      .updateTable("sessions")
      .set({ csrf_hash: "0".repeat(64) })
      .where("id_hash", "=", createHash("sha256").update(id).digest("hex"))
      .execute();
    const read = await h.app.inject({ method: "GET", url: "/v1/session", headers: { cookie } });
    expect(read.statusCode).toBe(401);
    expect((await h.app.inject({ method: "GET", url: "/v1/teams", headers: { cookie } })).statusCode).toBe(401);
  });

  it("shows the signed-in person and signs out for good", async () => {
    const me = await h.signIn(OWNER_EMAIL, OWNER_PASSWORD);
    expect(await me.ok("GET", "/v1/session")).toMatchObject({ user: { email: OWNER_EMAIL } });
    expect(await me.ok("DELETE", "/v1/session")).toEqual({ signedOut: true });
    expect((await me.get("/v1/session")).status).toBe(401);
    expect((await me.get("/v1/teams")).status).toBe(401);
  });

  it("refuses a bad sign-in body with 400 naming the field", async () => {
    const res = await h.anon.post("/v1/session", { email: "not-an-email", password: "x" });
    expect(res.status).toBe(400);
    expect(res.body.error?.details).toHaveProperty("fields.email");
  });
});

describe("first-run setup", () => {
  it("with a bootstrap owner, needs no setup and refuses setup links", async () => {
    const h = await startHarness("sqlite");
    try {
      expect(h.setupUrl).toBeNull();
      expect(await h.anon.ok("GET", "/v1/setup")).toEqual({ needsSetup: false });
      const res = await h.anon.post("/v1/setup", {
        token: "x".repeat(43),
        email: "a@example.com",
        name: "A",
        password: "long enough password",
      });
      expect(res.status).toBe(403);
    } finally {
      await h.close();
    }
  });

  it("on an empty instance, creates the first account through the printed link, signed in, once", async () => {
    const h = await startHarness("sqlite", {}, { bootstrap: false });
    try {
      expect(h.setupUrl).toMatch(/^http:\/\/latchkey\.test\/setup\?token=/);
      const token = new URL(h.setupUrl ?? "").searchParams.get("token") ?? "";
      expect(await h.anon.ok("GET", "/v1/setup")).toEqual({ needsSetup: true });
      // The page asks first, so that a link that cannot work says so before its form is filled in.
      expect(await h.anon.ok("GET", `/v1/setup?token=${token}`)).toEqual({ needsSetup: true, linkValid: true });
      expect(await h.anon.ok("GET", `/v1/setup?token=${"y".repeat(43)}`)).toEqual({ needsSetup: true, linkValid: false });
      const body = { email: "root@example.com", name: "Root", password: "a long password" };
      expect((await h.anon.post("/v1/setup", { ...body, token: "y".repeat(43) })).status).toBe(403);
      const ok = await h.anon.post("/v1/setup", { ...body, token });
      expect(ok.status).toBe(200);
      expect(String(ok.headers["set-cookie"])).toContain("latchkey_session=");
      expect((await h.anon.post("/v1/setup", { ...body, email: "second@example.com", token })).status).toBe(403);
      expect(await h.anon.ok("GET", "/v1/setup")).toEqual({ needsSetup: false });
      // A used link says so.
      expect(await h.anon.ok("GET", `/v1/setup?token=${token}`)).toEqual({ needsSetup: false, linkValid: false });
    } finally {
      await h.close();
    }
  });

  it("checks setup links no faster than passwords: an address that keeps trying wrong ones waits (429)", async () => {
    const h = await startHarness("sqlite", {}, { bootstrap: false });
    try {
      const token = new URL(h.setupUrl ?? "").searchParams.get("token") ?? "";
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) statuses.push((await h.anon.get(`/v1/setup?token=wrong-${i}`)).status);
      expect(statuses.slice(0, 10).every((status) => status === 200)).toBe(true);
      expect(statuses[10]).toBe(429);
      // Even the right link waits now, and the plain question (no token) is never limited.
      expect((await h.anon.get(`/v1/setup?token=${token}`)).status).toBe(429);
      expect(await h.anon.ok("GET", "/v1/setup")).toEqual({ needsSetup: true });
    } finally {
      await h.close();
    }
  });

  it("marks the cookie Secure when the public URL is https", async () => {
    const h = await startHarness("sqlite", { LATCHKEY_PUBLIC_URL: "https://keys.example.com" });
    try {
      const res = await signIn(h, OWNER_EMAIL, OWNER_PASSWORD);
      expect(res.cookies.find((c) => c.name === "latchkey_session")?.secure).toBe(true);
    } finally {
      await h.close();
    }
  });
});
