import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../../test-support/databases.js";
import { startHarness, type Harness } from "../../test-support/harness.js";
import { readSocket, sessionTokenOf } from "../../test-support/ws-client.js";

// Issue 21.4: the code `latchkey login` shows in its terminal reaches the approval page, on any process.
describe.each(dialects())("CLI login pairing codes on %s", (kind) => {
  let h: Harness;

  /** Opens the socket and sends init with `fields` (a code, or nothing as Northflank's clients do). */
  const begin = async (fields: Record<string, unknown>) => {
    const ws = await h.app.injectWS("/v1/cli-login");
    const socket = readSocket(ws);
    ws.send(JSON.stringify({ type: "init", ...fields }));
    return { ws, socket };
  };

  beforeAll(async () => {
    h = await startHarness(kind);
    await h.owner.ok("POST", "/v1/teams", { name: "Alpha" });
    await h.app.ready();
  });
  afterAll(() => h.close());

  it("shows the code the CLI sent to the signed-in person, and the login still completes", async () => {
    const { socket } = await begin({ code: "ABCD-2345" });
    const ack = await socket.next();
    const sessionToken = sessionTokenOf(ack.loginPage);
    const described = await h.owner.post("/v1/cli-login/describe", { sessionToken });
    expect(described.status, described.raw).toBe(200);
    expect(described.body.data).toMatchObject({ pairingCode: "ABCD-2345", expiresAt: expect.any(String) as string });
    const approved = await h.owner.post("/v1/cli-login/approve", { sessionToken, teamId: "alpha", roleId: "default", name: "laptop" });
    expect(approved.status, approved.raw).toBe(200);
    expect((await socket.next()).type).toBe("login-success");
    // Used: nothing more to show.
    expect((await h.owner.post("/v1/cli-login/describe", { sessionToken })).status).toBe(404);
  });

  it("says no code was shown for a client that sends none (Northflank's protocol)", async () => {
    const { ws, socket } = await begin({});
    const sessionToken = sessionTokenOf((await socket.next()).loginPage);
    const described = await h.owner.post("/v1/cli-login/describe", { sessionToken });
    expect(described.body.data).toMatchObject({ pairingCode: null });
    ws.terminate();
  });

  it("refuses an init whose code is not a pairing code, and keeps it out of the store", async () => {
    for (const code of ["abcd-2345", "<script>", "A".repeat(100), 1234, null]) {
      const { socket } = await begin({ code });
      const failure = await socket.next();
      expect(failure).toMatchObject({ type: "login-failure", message: expect.stringMatching(/pairing code/) as string });
      expect(await socket.closed()).toBe(1008);
    }
  });

  it("shows the code to console sessions only, and 404 for an unknown login", async () => {
    const { ws, socket } = await begin({ code: "WXYZ-6789" });
    const sessionToken = sessionTokenOf((await socket.next()).loginPage);
    const minted = await h.owner.ok<{ token: string }>("POST", "/v1/teams/alpha/tokens", { name: "t", roleId: "owner" });
    const byToken = await h.client({ bearer: minted.token }).post("/v1/cli-login/describe", { sessionToken });
    expect(byToken.status).toBe(403);
    expect(byToken.raw).not.toContain("WXYZ");
    expect((await h.anon.post("/v1/cli-login/describe", { sessionToken })).status).toBe(401);
    expect((await h.owner.post("/v1/cli-login/describe", { sessionToken: "x".repeat(43) })).status).toBe(404);
    expect((await h.owner.post("/v1/cli-login/describe", { sessionToken: "short" })).status).toBe(400);
    ws.terminate();
  });
});
