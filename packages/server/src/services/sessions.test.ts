import { createHmac, hkdfSync, randomBytes } from "node:crypto";
import { DomainError } from "@latchkey/core";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { dialects } from "../test-support/databases.js";
import { OWNER_EMAIL, OWNER_PASSWORD, startHarness, type Harness } from "../test-support/harness.js";
import { createPasswordChecks } from "../lib/passwords.js";
import { createSessionService, type SessionService } from "./sessions.js";
import { createThrottle, type Throttle } from "./throttle.js";

// The session service below the HTTP layer (issue 22, mutation testing): what it keeps in memory and when it asks the
// database, how often it refreshes the idle clock, how its CSRF token is derived, and which throttle keys a password
// change counts against. "Another process" is a second service on the same store and change feed, with a cache of
// its own. Every time is the injected clock's; it only moves forward.

const MINUTE = 60_000;
const IDLE = 120 * MINUTE; // LATCHKEY_SESSION_IDLE_MINUTES' default
const WINDOW = 15 * MINUTE; // the password throttle's
/** A dozen password checks (scrypt, tens of milliseconds each, more on a busy machine). */
const SCRYPT_HEAVY = 90_000;

describe.each(dialects())("the session service on %s", (kind) => {
  let h: Harness;
  let t = Date.now();
  const now = () => new Date(t);
  let team = "";
  /** A person whose password no test changes, for the tests that need no throttle of their own. */
  let alice = { email: "", password: "", userId: "" };
  const opened: { close(): unknown }[] = [];

  beforeAll(async () => {
    h = await startHarness(kind, {}, { now });
    team = (await h.owner.ok<{ id: string }>("POST", "/v1/teams", { name: "Sessions" })).id;
    alice = await person();
  });
  afterEach(() => {
    vi.restoreAllMocks();
    // Each test starts with the password throttle's windows behind it.
    t += 2 * WINDOW;
  });
  afterAll(async () => {
    for (const each of opened) await each.close();
    await h.close();
  });

  /** Another process: its own session cache and throttle, on the same store and change feed. */
  const otherProcess = (): { sessions: SessionService; throttle: Throttle } => {
    const throttle = createThrottle({ store: h.services.store, max: 10, windowMs: WINDOW, now });
    const sessions = createSessionService({
      store: h.services.store,
      config: h.config,
      throttle,
      passwords: createPasswordChecks(null),
      now,
    });
    opened.push(throttle, sessions);
    return { sessions, throttle };
  };

  const person = async () => {
    const email = `s-${randomBytes(4).toString("hex")}@example.com`;
    const password = `right ${randomBytes(8).toString("hex")}`;
    // The harness's owner session ends idle as the clock moves on: sign in afresh.
    const owner = await h.signIn(OWNER_EMAIL, OWNER_PASSWORD);
    const { userId } = await h.newMember(owner, `/v1/teams/${team}`, ["default"], email, password);
    return { email, password, userId };
  };

  const refusal = async (attempt: Promise<unknown>): Promise<string> => {
    try {
      await attempt;
      return "none";
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return error.code;
    }
  };

  it("answers a session from memory once read, and reads it again only after a change to its user", async () => {
    const userId = alice.userId;
    const { sessions } = otherProcess();
    const { sessionId } = await sessions.start(userId);
    const reads = vi.spyOn(h.services.store.sessions, "byIdHash");
    expect(sessions.cached()).toEqual({ sessions: 0, users: 0 });
    expect((await sessions.resolve(sessionId))?.user.id).toBe(userId);
    expect(reads).toHaveBeenCalledTimes(1);
    expect(sessions.cached()).toEqual({ sessions: 1, users: 0 });
    t += 10_000;
    expect((await sessions.resolve(sessionId))?.user.id).toBe(userId);
    expect(reads).toHaveBeenCalledTimes(1);
    // Another user's change leaves it; its own user's drops it, and the next request reads the database.
    await h.services.store.publish({ t: "user", id: "usr_someone_else" });
    expect(sessions.cached()).toEqual({ sessions: 1, users: 0 });
    await h.services.store.publish({ t: "user", id: userId });
    expect(sessions.cached()).toEqual({ sessions: 0, users: 0 });
    expect((await sessions.resolve(sessionId))?.user.id).toBe(userId);
    expect(reads).toHaveBeenCalledTimes(2);
  });

  it("answers a person's grants from memory once read, until their roles or a role change", async () => {
    const userId = alice.userId;
    const { sessions } = otherProcess();
    const reads = vi.spyOn(h.services.store.roles, "heldBy");
    const first = await sessions.grantsOf(userId);
    expect(first.map((g) => g.entityId)).toEqual([team]);
    expect(await sessions.grantsOf(userId)).toEqual(first);
    expect(reads).toHaveBeenCalledTimes(1);
    expect(sessions.cached()).toEqual({ sessions: 0, users: 1 });
    await h.services.store.publish({ t: "user", id: userId });
    expect(await sessions.grantsOf(userId)).toEqual(first);
    expect(reads).toHaveBeenCalledTimes(2);
  });

  it("a sign-out or a password change on one process ends the sessions another process holds in memory", async () => {
    const { email, password } = await person();
    const here = h.services.sessions;
    const { sessions: there } = otherProcess();
    const a = await here.signIn(email, password, "10.61.0.1");
    const b = await here.signIn(email, password, "10.61.0.1");
    const c = await here.signIn(email, password, "10.61.0.1");
    for (const s of [a, b, c]) expect(await there.resolve(s.sessionId)).not.toBeNull();
    const onA = await here.resolve(a.sessionId);
    await here.signOut(onA ?? expect.fail("a's session"));
    expect(await there.resolve(a.sessionId)).toBeNull();
    expect(await there.resolve(b.sessionId)).not.toBeNull();
    const onB = await here.resolve(b.sessionId);
    const next = await here.changePassword(
      onB ?? expect.fail("b's session"),
      { currentPassword: password, newPassword: "a new and long password" },
      "10.61.0.1",
    );
    expect(await there.resolve(b.sessionId)).toBeNull();
    expect(await there.resolve(c.sessionId)).toBeNull();
    expect((await there.resolve(next.sessionId))?.user.email).toBe(email);
  });

  it("refreshes the idle clock at most once a minute: on the first read from the database", async () => {
    const userId = alice.userId;
    const { sessions } = otherProcess();
    const touches = vi.spyOn(h.services.store.sessions, "touch");
    // A request exactly a minute after sign-in does not count as activity: the session still ends idle from sign-in.
    const early = await sessions.start(userId);
    const earlyAt = t;
    t = earlyAt + MINUTE;
    expect(await sessions.resolve(early.sessionId)).not.toBeNull();
    expect(touches).not.toHaveBeenCalled();
    // One a millisecond later does, in the database, where another process reads it.
    const late = await sessions.start(userId);
    const lateAt = t;
    t = lateAt + MINUTE + 1;
    expect(await sessions.resolve(late.sessionId)).not.toBeNull();
    expect(touches).toHaveBeenCalledTimes(1);
    t = earlyAt + IDLE;
    expect(await sessions.resolve(early.sessionId)).toBeNull();
    t = lateAt + IDLE + 1;
    expect(await otherProcess().sessions.resolve(late.sessionId)).not.toBeNull();
    expect(await sessions.resolve(late.sessionId)).not.toBeNull();
  });

  it("refreshes the idle clock at most once a minute: from memory", async () => {
    const userId = alice.userId;
    const { sessions } = otherProcess();
    const touches = vi.spyOn(h.services.store.sessions, "touch");
    const { sessionId } = await sessions.start(userId);
    const signedInAt = t;
    expect(await sessions.resolve(sessionId)).not.toBeNull(); // read from the database, kept
    t = signedInAt + MINUTE;
    expect(await sessions.resolve(sessionId)).not.toBeNull();
    expect(touches).not.toHaveBeenCalled();
    t = signedInAt + MINUTE + 1;
    expect(await sessions.resolve(sessionId)).not.toBeNull();
    expect(touches).toHaveBeenCalledTimes(1);
    // The refresh is remembered: a request within the next minute refreshes nothing.
    t = signedInAt + 2 * MINUTE + 1;
    expect(await sessions.resolve(sessionId)).not.toBeNull();
    expect(touches).toHaveBeenCalledTimes(1);
    // Idle from the last refresh, not from the last request.
    t = signedInAt + MINUTE + 1 + IDLE;
    expect(await sessions.resolve(sessionId)).toBeNull();
  });

  it("remembers a refresh made on the database path: the next minute refreshes nothing", async () => {
    const userId = alice.userId;
    const { sessions } = otherProcess();
    const touches = vi.spyOn(h.services.store.sessions, "touch");
    const { sessionId } = await sessions.start(userId);
    const signedInAt = t;
    t = signedInAt + 5 * MINUTE;
    expect(await sessions.resolve(sessionId)).not.toBeNull();
    expect(touches).toHaveBeenCalledTimes(1);
    t = signedInAt + 6 * MINUTE;
    expect(await sessions.resolve(sessionId)).not.toBeNull();
    expect(touches).toHaveBeenCalledTimes(1);
  });

  it("derives the CSRF token from the session id under the master key, so that it reads the same after a restart", async () => {
    const userId = alice.userId;
    const { sessionId, csrfToken } = await h.services.sessions.start(userId);
    // HKDF-SHA256 of the master key (no salt, info "latchkey session csrf"), then HMAC-SHA256 of the id: a change
    // here would sign out every console at the next upgrade (csrfTokenOf answers null for a token not so derived).
    const key = Buffer.from(hkdfSync("sha256", h.config.masterKey, "", "latchkey session csrf", 32));
    expect(csrfToken).toBe(createHmac("sha256", key).update(sessionId).digest("base64url"));
    const restarted = otherProcess().sessions;
    const session = await restarted.resolve(sessionId);
    expect(restarted.csrfTokenOf(session ?? expect.fail("the session"), sessionId)).toBe(csrfToken);
  });

  it(
    "counts a password change's wrong guesses against the account's sign-ins and against the address",
    { timeout: SCRYPT_HEAVY },
    async () => {
      const victim = await person();
      const bystander = alice;
      const { sessionId } = await h.services.sessions.start(victim.userId);
      const session = (await h.services.sessions.resolve(sessionId)) ?? expect.fail("the session");
      for (let i = 0; i < 10; i++) {
        const wrong = h.services.sessions.changePassword(
          session,
          { currentPassword: `wrong ${i}`, newPassword: "x".repeat(20) },
          "10.62.0.1",
        );
        await expect(wrong).rejects.toMatchObject({
          code: "VALIDATION_FAILED",
          message: "the current password is wrong",
          details: { fields: { currentPassword: "is wrong" } },
        });
      }
      // The account waits, from any address, even with its right password.
      expect(await refusal(h.services.sessions.signIn(victim.email, victim.password, "10.62.0.2"))).toBe("RATE_LIMITED");
      // The address waits, for any account.
      expect(await refusal(h.services.sessions.signIn(bystander.email, bystander.password, "10.62.0.1"))).toBe("RATE_LIMITED");
      expect(await refusal(h.services.sessions.signIn(bystander.email, bystander.password, "10.62.0.3"))).toBe("none");
    },
  );

  it("a successful password change starts the account's count afresh", { timeout: SCRYPT_HEAVY }, async () => {
    const { email, password, userId } = await person();
    const sessions = h.services.sessions;
    const { sessionId } = await sessions.start(userId);
    const session = (await sessions.resolve(sessionId)) ?? expect.fail("the session");
    for (let i = 0; i < 9; i++) {
      expect(await refusal(sessions.signIn(email, `wrong ${i}`, `10.63.0.${i}`))).toBe("UNAUTHENTICATED");
    }
    await sessions.changePassword(session, { currentPassword: password, newPassword: "the second password" }, "10.63.1.1");
    // One wrong guess after the change is answered as a wrong password, not a wait (nor a different message).
    await expect(sessions.signIn(email, "wrong again", "10.63.2.1")).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
      message: "e-mail or password is wrong",
    });
    expect(await refusal(sessions.signIn(email, "the second password", "10.63.2.2"))).toBe("none");
  });

  it("a closed service stops listening to the change feed", async () => {
    const { sessions } = otherProcess();
    const { sessionId } = await sessions.start(alice.userId);
    await sessions.resolve(sessionId);
    expect(sessions.cached()).toEqual({ sessions: 1, users: 0 });
    sessions.close();
    await h.services.store.publish({ t: "user", id: alice.userId });
    expect(sessions.cached()).toEqual({ sessions: 1, users: 0 });
  });
});
