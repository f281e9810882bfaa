import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../../test-support/databases.js";
import { startHarness, type Client, type Harness } from "../../test-support/harness.js";
import { readSocket, sessionTokenOf } from "../../test-support/ws-client.js";

interface TokenList {
  apiTokens: { id: string; name: string; role: { roleId: string; roleType: string } }[];
}

describe.each(dialects())("CLI login on %s", (kind) => {
  let h: Harness;
  let clockOffsetMs = 0;
  let member: Client;

  /** Opens the socket, sends init (binary unless told), and returns the reader and the session token. */
  const begin = async (frame: "binary" | "text" = "binary") => {
    const ws = await h.app.injectWS("/v1/cli-login");
    const socket = readSocket(ws);
    const init = JSON.stringify({ type: "init" });
    ws.send(frame === "binary" ? Buffer.from(init) : init, { binary: frame === "binary" });
    const ack = await socket.next();
    expect(ack.type).toBe("init-ack");
    return { ws, socket, sessionToken: sessionTokenOf(ack.loginPage), loginPage: ack.loginPage ?? "" };
  };
  const approve = (as: Client, sessionToken: string, extra: Record<string, unknown> = { orgId: "acme", roleId: "member" }) =>
    as.post("/v1/cli-login/approve", { sessionToken, name: "laptop", ...extra });
  const orgTokens = async () => (await h.owner.ok<TokenList>("GET", "/v1/orgs/acme/tokens?all=true")).apiTokens;

  beforeAll(async () => {
    h = await startHarness(kind, {}, { now: () => new Date(Date.now() + clockOffsetMs) });
    await h.owner.ok("POST", "/v1/orgs", { name: "Acme" });
    await h.owner.ok("POST", "/v1/orgs/acme/teams", { name: "Alpha" });
    await h.owner.ok("POST", "/v1/orgs/acme/teams", { name: "Beta" });
    await h.owner.ok("POST", "/v1/orgs/acme/roles", {
      id: "minter",
      name: "Minter",
      permissions: { orgScope: ["org.read", "org.tokens.read", "org.tokens.manage"] },
    });
    member = await h.newMember(h.owner, "/v1/orgs/acme", ["minter"]);
    await h.app.ready();
  });
  afterAll(() => h.close());

  it("hands an organisation-role token to the socket that asked, from a binary init frame", async () => {
    const { socket, sessionToken, loginPage } = await begin("binary");
    expect(loginPage.startsWith("http://latchkey.test/cli-login?sessionToken=")).toBe(true);
    expect(Buffer.from(sessionToken, "base64url").length).toBeGreaterThanOrEqual(16);

    const approved = await approve(h.owner, sessionToken, { orgId: "acme", roleId: "member", name: "cli on laptop" });
    expect(approved.status, approved.raw).toBe(200);
    expect(approved.raw).not.toMatch(/"token"|eyJ/);

    const success = await socket.next();
    expect(success).toMatchObject({ type: "login-success", contextName: "acme" });
    expect(await socket.closed()).toBe(1000);
    const jwt = success.apiToken ?? "";
    const auth = await h.client({ bearer: jwt }).ok<{ entityType: string; entityId: string; role: { id: string } }>("GET", "/v1/auth");
    expect(auth).toMatchObject({ entityType: "org", entityId: "acme", role: { id: "member" } });
    // Created as POST .../tokens would: listed with the organisation's tokens, under the chosen name and role.
    expect((await orgTokens()).find((t) => t.name === "cli on laptop")?.role).toMatchObject({ roleId: "member", roleType: "org" });
    // Single use: the same session token is refused now.
    expect((await approve(h.owner, sessionToken)).status).toBe(404);
  });

  it("leaves every process's token caches alone when a login is approved", async () => {
    const minted = await h.owner.ok<{ token: string }>("POST", "/v1/orgs/acme/tokens", { name: "cached", roleId: "member" });
    expect((await h.client({ bearer: minted.token }).get("/v1/login")).status).toBe(200);
    const cachedNow = () => h.services.verifier.cached(minted.token, "127.0.0.1");
    expect(cachedNow()).toMatchObject({ kind: "api" });
    const { socket, sessionToken } = await begin();
    expect((await approve(h.owner, sessionToken)).status).toBe(200);
    expect((await socket.next()).type).toBe("login-success");
    // Still answered from memory: the wake-up event did not flush the verifier.
    expect(cachedNow()).toMatchObject({ kind: "api" });
  });

  it("accepts a text init frame and tells the socket when the login is denied", async () => {
    const { socket, sessionToken } = await begin("text");
    const denied = await h.owner.post("/v1/cli-login/deny", { sessionToken });
    expect(denied.status, denied.raw).toBe(200);
    expect(await socket.next()).toEqual({ type: "login-failure", message: "the login was denied in the browser" });
    expect(await socket.closed()).toBe(1000);
    expect((await approve(h.owner, sessionToken)).status).toBe(404);
  });

  it("refuses unknown, reused and expired session tokens without creating a token", async () => {
    const before = (await orgTokens()).length;
    const unknown = await approve(h.owner, "A".repeat(43));
    expect(unknown.status).toBe(404);
    expect(unknown.body.error?.code).toBe("NOT_FOUND");

    const first = await begin();
    expect((await approve(h.owner, first.sessionToken)).status).toBe(200);
    await first.socket.next();
    const reused = await approve(h.owner, first.sessionToken);
    expect(reused.status).toBe(404);

    const late = await begin();
    clockOffsetMs = 11 * 60_000;
    try {
      const expired = await approve(h.owner, late.sessionToken);
      expect(expired.status).toBe(404);
      expect((await h.owner.post("/v1/cli-login/deny", { sessionToken: late.sessionToken })).status).toBe(404);
    } finally {
      clockOffsetMs = 0;
    }
    late.ws.terminate();
    expect((await orgTokens()).length).toBe(before + 1);
  });

  it("refuses approval with an API token, and the login still waits for a person", async () => {
    const { socket, sessionToken } = await begin();
    const minted = await h.owner.ok<{ token: string }>("POST", "/v1/orgs/acme/tokens", { name: "robot", roleId: "owner" });
    const robot = h.client({ bearer: minted.token });
    const refused = await approve(robot, sessionToken, { orgId: "acme", roleId: "member" });
    expect(refused.status).toBe(403);
    expect(refused.body.error?.message).toMatch(/signed-in person/);
    expect((await robot.post("/v1/cli-login/deny", { sessionToken })).status).toBe(403);
    expect(socket.pending()).toBe(0);
    expect((await approve(h.owner, sessionToken)).status).toBe(200);
    expect((await socket.next()).type).toBe("login-success");
  });

  it("refuses a role that grants more than the approver holds", async () => {
    const { socket, sessionToken } = await begin();
    const escalation = await approve(member, sessionToken, { orgId: "acme", roleId: "owner" });
    expect(escalation.status, escalation.raw).toBe(403);
    expect(escalation.body.error?.code).toBe("FORBIDDEN");
    expect(escalation.body.error?.message).toMatch(/would grant more than you hold/);
    // A team the member's organisation role does not give token rights on is refused too.
    expect((await approve(member, sessionToken, { teamId: "alpha", roleId: "default" })).status).toBe(403);
    // The refused attempts left the login pending: a role within the approver's own reach works.
    const ok = await approve(member, sessionToken, { orgId: "acme", roleId: "minter" });
    expect(ok.status, ok.raw).toBe(200);
    expect(await socket.next()).toMatchObject({ type: "login-success", contextName: "acme" });
  });

  it("validates the approval body", async () => {
    const { ws, sessionToken } = await begin();
    const both = await approve(h.owner, sessionToken, { orgId: "acme", teamId: "alpha", roleId: "member" });
    expect(both.status).toBe(400);
    const neither = await approve(h.owner, sessionToken, { roleId: "member" });
    expect(neither.status).toBe(400);
    ws.terminate();
  });

  it("forgets a login whose socket closed or aborted", async () => {
    const closed = await begin();
    closed.ws.close();
    await closed.socket.closed();
    const gone = async (token: string) => (await approve(h.owner, token)).status === 404;
    await expect.poll(() => gone(closed.sessionToken), { timeout: 5000 }).toBe(true);

    const aborted = await begin();
    aborted.ws.send(JSON.stringify({ type: "aborted" }));
    expect(await aborted.socket.closed()).toBe(1000);
    await expect.poll(() => gone(aborted.sessionToken), { timeout: 5000 }).toBe(true);
  });

  it("tells the socket when its login expires, and forgets the login", async () => {
    const start = h.services.cliLogins.start;
    // The socket's timer follows what start() says; 10 minutes is too long for a test.
    h.services.cliLogins.start = async () => ({ ...(await start()), expiresInMs: 200 });
    try {
      const { socket, sessionToken } = await begin();
      expect(await socket.next()).toEqual({ type: "login-failure", message: "the login session expired" });
      expect(await socket.closed()).toBe(1000);
      await expect.poll(async () => (await approve(h.owner, sessionToken)).status, { timeout: 5000 }).toBe(404);
    } finally {
      h.services.cliLogins.start = start;
    }
  });

  it("closes sockets that send oversized, non-JSON or too many frames", async () => {
    const bigWs = await h.app.injectWS("/v1/cli-login");
    const bigReader = readSocket(bigWs);
    bigWs.send(Buffer.alloc(8192, 32), { binary: true });
    expect(await bigReader.closed()).toBe(1009);

    const junkWs = await h.app.injectWS("/v1/cli-login");
    const junk = readSocket(junkWs);
    junkWs.send("not json");
    expect(await junk.closed()).toBe(1003);

    const chattyWs = await h.app.injectWS("/v1/cli-login");
    const chatty = readSocket(chattyWs);
    for (let i = 0; i < 10; i++) chattyWs.send(JSON.stringify({ type: "ping" }));
    expect(await chatty.closed()).toBe(1008);
  });

  it("caps the login sockets one address may hold open, tells the refused one when to retry, and frees places", async () => {
    // Read from the first moment: a refused socket is told and closed before injectWS resolves.
    const connect = async () => {
      let reader: ReturnType<typeof readSocket> | undefined;
      const ws = await h.app.injectWS("/v1/cli-login", {}, { onInit: (w) => (reader = readSocket(w)) });
      return { ws, reader: reader! };
    };
    /** Opens a socket and says init: the first answer is the init-ack of an admitted one or the refusal. */
    const attempt = async () => {
      const { ws, reader } = await connect();
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: "init" }));
      return { ws, reader, first: await reader.next() };
    };
    const open: Awaited<ReturnType<typeof connect>>["ws"][] = [];
    for (let i = 1; i <= 20; i++) {
      const { ws, first } = await attempt();
      expect(first.type, `socket ${i}`).toBe("init-ack");
      open.push(ws);
    }
    const refused = await attempt();
    expect(refused.first).toMatchObject({ type: "login-failure", retryAfterSeconds: expect.any(Number) as number });
    expect(refused.first.message).toMatch(/^the server is busy: too many CLI logins are waiting from your address; try again in \d+ s$/);
    expect(await refused.reader.closed()).toBe(1013);
    for (const ws of open) ws.terminate();
    const admitted = async () => {
      const { ws, first } = await attempt();
      ws.terminate();
      return first.type === "init-ack";
    };
    await expect.poll(admitted, { timeout: 5000 }).toBe(true);
  });

  it("answers a plain HTTP request with an explanation", async () => {
    const res = await h.anon.get("/v1/cli-login");
    expect(res.status).toBe(400);
    expect(res.body.error?.message).toMatch(/WebSocket/);
  });
});
