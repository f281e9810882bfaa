import WebSocket from "ws";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { sha256 } from "../lib/secrets.js";
import { dialects } from "../test-support/databases.js";
import { startHarness, type Harness } from "../test-support/harness.js";
import { readSocket, sessionTokenOf, type SocketMessage } from "../test-support/ws-client.js";
import { listen, loopback } from "./support.js";
import { waitFor } from "../test-support/refusals.js";

// The attacker's side of the CLI login socket (issue 20, item 7): real sockets from many loopback addresses against a
// real listener, with small caps so that the table fills quickly: 6 places, 3 per address, 1 s of silence before init.

const MAX_PENDING = 6;
const PER_ADDRESS = 3;
const BUSY_FROM_ADDRESS = /^the server is busy: too many CLI logins are waiting from your address; try again in \d+ s$/;
const DISPLACED = "the server is busy: this login was ended to make room for newer ones; start it again";

interface Login {
  ws: WebSocket;
  reader: ReturnType<typeof readSocket>;
  /** The first answer to init: init-ack, or the refusal. */
  first: SocketMessage;
}

describe.each(dialects())("CLI login sockets under a flood on %s", (kind) => {
  let h: Harness;
  let port: number;
  const sockets: WebSocket[] = [];

  /** The HTTP status of an upgrade request: 101 when the socket opened (it is closed again at once). */
  const handshake = (from: string, headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/cli-login`, { localAddress: from, headers });
      ws.once("open", () => {
        ws.terminate();
        resolve(101);
      });
      ws.once("unexpected-response", (request, response) => {
        request.destroy();
        resolve(response.statusCode ?? 0);
      });
      ws.once("error", reject);
    });

  /** Connects from `from` like the CLI (no Origin) or with `headers`, and reads from the first moment. */
  const connect = (from: string, headers: Record<string, string> = {}) =>
    new Promise<{ ws: WebSocket; reader: ReturnType<typeof readSocket> }>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/cli-login`, { localAddress: from, headers });
      sockets.push(ws);
      const reader = readSocket(ws);
      ws.once("open", () => resolve({ ws, reader }));
      ws.once("error", reject);
    });

  /** Connects and says init; a refused socket may already be closing, and its refusal is what it reads first. */
  const login = async (from: string, headers: Record<string, string> = {}): Promise<Login> => {
    const { ws, reader } = await connect(from, headers);
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "init" }));
    return { ws, reader, first: await reader.next() };
  };

  const approve = (sessionToken: string) =>
    h.owner.post("/v1/cli-login/approve", { sessionToken, orgId: "acme", roleId: "member", name: "laptop" });

  /** The whole login of a person: approved in the console, the token reaches the socket, and it works. */
  const completes = async (person: Login) => {
    expect(person.first.type).toBe("init-ack");
    const approved = await approve(sessionTokenOf(person.first.loginPage));
    expect(approved.status, approved.raw).toBe(200);
    const success = await person.reader.next();
    expect(success).toMatchObject({ type: "login-success", contextName: "acme" });
    expect((await h.client({ bearer: success.apiToken ?? "" }).get("/v1/login")).status).toBe(200);
  };

  beforeAll(async () => {
    h = await startHarness(kind, {
      LATCHKEY_CLI_LOGIN_MAX_PENDING: String(MAX_PENDING),
      LATCHKEY_CLI_LOGIN_MAX_PER_ADDRESS: String(PER_ADDRESS),
      LATCHKEY_CLI_LOGIN_INIT_SECONDS: "1",
    });
    await h.owner.ok("POST", "/v1/orgs", { name: "Acme" });
    port = await listen(h);
  });
  afterEach(async () => {
    for (const ws of sockets.splice(0)) ws.terminate();
    // Every place is free again before the next case: the server has seen every socket close.
    expect(await waitFor(() => h.app.websocketServer.clients.size === 0)).toBe(true);
  });
  afterAll(() => h.close());

  it("refuses a socket opened from another site's page before the upgrade, so it takes no place", async () => {
    const from = loopback(10);
    for (const origin of ["https://evil.example", "null", "http://latchkey.test.evil.example", "https://latchkey.test"]) {
      expect(await handshake(from, { origin }), origin).toBe(403);
    }
    expect(await handshake(from, { "sec-websocket-origin": "https://evil.example" })).toBe(403);
    // None of the refused ones holds a place: the address still has all of its own, for the CLI (no Origin) and for
    // a page of the console itself.
    const own = [await login(from), await login(from, { origin: "http://latchkey.test" }), await login(from)];
    expect(own.map((l) => l.first.type)).toEqual(["init-ack", "init-ack", "init-ack"]);
    await completes(own[1]!);
  });

  it("tells an address over its share when to retry, and a person elsewhere still logs in", async () => {
    const person = await login(loopback(20));
    const attacker = loopback(21);
    for (let i = 0; i < PER_ADDRESS; i++) expect((await login(attacker)).first.type).toBe("init-ack");
    for (let i = 0; i < 5; i++) {
      const refused = await login(attacker);
      expect(refused.first.type).toBe("login-failure");
      expect(refused.first.message).toMatch(BUSY_FROM_ADDRESS);
      // The login waits up to 10 minutes: that is when a place of this address frees by itself.
      expect(refused.first.retryAfterSeconds).toBeGreaterThan(590);
      expect(refused.first.retryAfterSeconds).toBeLessThanOrEqual(600);
      expect(await refused.reader.closed()).toBe(1013);
      expect(refused.reader.closeReason()).toBe(`busy; retry in ${refused.first.retryAfterSeconds} s`);
    }
    await completes(person);
  });

  it("lets attackers on a few addresses who fill the table displace only each other, not a person's login", async () => {
    const person = await login(loopback(30));
    const attackers = [loopback(31), loopback(32), loopback(33)];
    const admitted: Login[] = [];
    let refused = 0;
    for (let round = 0; round < 12; round++) {
      const attempt = await login(attackers[round % attackers.length]!);
      if (attempt.first.type === "init-ack") admitted.push(attempt);
      else {
        expect(attempt.first.message).toMatch(/^the server is busy: too many CLI logins are waiting/);
        expect(await attempt.reader.closed()).toBe(1013);
        refused++;
      }
    }
    // Admitted beyond the places left, each displaced an older attacker login, told so and closed with 1013.
    expect(admitted.length).toBeGreaterThan(MAX_PENDING - 1);
    const stillOpen = () => admitted.filter((l) => l.reader.closeCode() === null).length;
    expect(await waitFor(() => stillOpen() === MAX_PENDING - 1)).toBe(true);
    for (const gone of admitted.filter((l) => l.reader.closeCode() !== null)) {
      expect(await gone.reader.next()).toEqual({ type: "login-failure", message: DISPLACED });
      expect(gone.reader.closeCode()).toBe(1013);
      expect(gone.reader.closeReason()).toBe("displaced by newer logins");
    }
    expect(refused + admitted.length).toBe(12);
    await completes(person);
  });

  it("keeps a login that a person is approving when it would be displaced, and delivers its token", async () => {
    const crowded = loopback(40);
    const person = await login(crowded);
    const token = sessionTokenOf(person.first.loginPage);
    // The approval's first step has claimed the row (as POST .../approve does before creating the token).
    expect(await h.services.store.cliLogins.claim(sha256(token), new Date().toISOString(), "claimed")).toBe(true);
    for (let i = 1; i < PER_ADDRESS; i++) expect((await login(crowded)).first.type).toBe("init-ack");
    for (let i = 0; i < MAX_PENDING - PER_ADDRESS; i++) expect((await login(loopback(41 + i))).first.type).toBe("init-ack");
    // Full; the person's address holds the most and its login is the oldest: it is the one to go, but is kept. The
    // newcomer's init-ack comes only once that was decided.
    expect((await login(loopback(49))).first.type).toBe("init-ack");
    expect(person.reader.pending()).toBe(0);
    expect(person.reader.closeCode()).toBeNull();
    await h.services.store.cliLogins.release(sha256(token));
    await completes(person);
  });

  it("closes a socket that never says init after the silence allowed, and its place serves the next login", async () => {
    const from = loopback(50);
    const idle = await Promise.all(Array.from({ length: PER_ADDRESS }, () => connect(from)));
    const refused = await login(from);
    expect(refused.first.message).toMatch(BUSY_FROM_ADDRESS);
    // Idle sockets free their places within the 1 s allowed: that is the retry time given.
    expect(refused.first.retryAfterSeconds).toBe(1);
    for (const { reader } of idle) expect(await reader.closed()).toBe(1008);
    await completes(await login(from));
  });

  it("(the limit, measured) an attacker with more addresses than places displaces a waiting login, oldest first", async () => {
    const person = await login(loopback(60));
    const attackers = Array.from({ length: MAX_PENDING }, (_, i) => loopback(61 + i));
    const mine: Login[] = [];
    for (const from of attackers) mine.push(await login(from));
    // Every address holds one: each newcomer from a fresh or emptied address takes the oldest place, so the person's
    // login, the oldest here, went with the first newcomer that found the table full.
    expect(mine.every((l) => l.first.type === "init-ack")).toBe(true);
    expect(await person.reader.next()).toEqual({ type: "login-failure", message: DISPLACED });
    expect(await person.reader.closed()).toBe(1013);
    expect((await approve(sessionTokenOf(person.first.loginPage))).status).toBe(404);
  });
});
