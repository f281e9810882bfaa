import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../../test-support/databases.js";
import { startHarness, type Harness } from "../../test-support/harness.js";
import { openSse, type SseEvent, type SseStream } from "../../test-support/sse.js";

const data = (e: SseEvent) => JSON.parse(e.data ?? "{}") as Record<string, string>;
const is = (type: string, key?: string, value?: string) => (e: SseEvent) =>
  e.event === type && (key === undefined || data(e)[key] === value);

describe.each(dialects())("GET /v1/auth/events on %s", (kind) => {
  let h: Harness;
  let base: string;
  let verifierToken: string;
  let readerToken: string;
  const streams: SseStream[] = [];

  const mint = async (team: string, name: string, roleId = "default") => {
    const created = await h.owner.ok<{ token: string; apiToken: { id: string } }>("POST", `/v1/teams/${team}/tokens`, { name, roleId });
    return { token: created.token, id: created.apiToken.id };
  };
  const open = async (token: string, headers: Record<string, string> = {}) => {
    const s = await openSse(`${base}/v1/auth/events`, { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers });
    streams.push(s);
    // the stream is subscribed once its first line arrived
    for (let i = 0; i < 200 && s.status === 200 && s.comments.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    return s;
  };

  beforeAll(async () => {
    h = await startHarness(kind, { LATCHKEY_EVENTS_HEARTBEAT_MS: "40", LATCHKEY_RATE_LIMIT_PER_HOUR: "1000000" });
    await h.owner.ok("POST", "/v1/teams", { name: "Acme" });
    await h.owner.ok("POST", "/v1/teams", { name: "Other" });
    await h.owner.ok("POST", "/v1/teams/acme/roles", { name: "Verifier", permissions: { teamScope: ["team.read", "team.apis.verify"] } });
    await h.owner.ok("POST", "/v1/teams/acme/roles", { name: "Temp", permissions: { teamScope: ["team.read"] } });
    verifierToken = (await mint("acme", "verifier", "verifier")).token;
    readerToken = (await mint("acme", "reader")).token;
    await h.app.listen({ port: 0, host: "127.0.0.1" });
    const address = h.app.server.address();
    if (!address || typeof address === "string") throw new Error("no address");
    base = `http://127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    await h.close();
  });

  it("asks for a credential first, then apis.verify", async () => {
    expect((await openSse(`${base}/v1/auth/events`, {})).status).toBe(401);
    const refused = await openSse(`${base}/v1/auth/events`, { authorization: `Bearer ${readerToken}` });
    expect(refused.status).toBe(403);
  });

  it("streams revocations, key changes and role edits within reach, with ids, and heartbeats", async () => {
    const s = await open(verifierToken);
    const mine = await mint("acme", "mine");
    const theirs = await mint("other", "theirs");
    await h.owner.ok("DELETE", `/v1/teams/other/tokens/${theirs.id}`);
    await h.owner.ok("DELETE", `/v1/teams/acme/tokens/${mine.id}`);
    const revoked = await s.next(is("token.revoked", "tokenId", mine.id));
    expect(data(revoked)).toEqual({ type: "token.revoked", tokenId: mine.id, entityType: "team", entityId: "acme" });
    expect(revoked.id).toMatch(/^[\w-]+\.\d+$/);
    // the other team's revocation committed first and was not sent
    expect(s.events.some(is("token.revoked", "tokenId", theirs.id))).toBe(false);

    await h.owner.ok("PATCH", "/v1/teams/acme/roles/temp", { permissions: { teamScope: ["team.read", "team.members.read"] } });
    await s.next(is("role.updated", "roleId", "temp"));
    const temp = await mint("acme", "temp", "temp");
    await h.owner.ok("DELETE", "/v1/teams/acme/roles/temp");
    await s.next(is("role.deleted", "roleId", "temp"));
    await s.next(is("token.revoked", "tokenId", temp.id));
    await s.next(() => s.comments.includes("heartbeat"));
  });

  it("resumes from Last-Event-ID, and says reset when the gap cannot be filled", async () => {
    const first = await open(verifierToken);
    const a = await mint("acme", "a");
    await h.owner.ok("DELETE", `/v1/teams/acme/tokens/${a.id}`);
    const seen = await first.next(is("token.revoked", "tokenId", a.id));
    first.close();
    const b = await mint("acme", "b");
    await h.owner.ok("DELETE", `/v1/teams/acme/tokens/${b.id}`);
    await h.services.authEvents.settled();
    const resumed = await open(verifierToken, { "last-event-id": seen.id ?? "" });
    await resumed.next(is("token.revoked", "tokenId", b.id));
    expect(resumed.events.some(is("token.revoked", "tokenId", a.id))).toBe(false);
    expect(resumed.events.some(is("reset"))).toBe(false);

    for (const lost of ["other-run.3", "x".repeat(500), "garbage", `${seen.id ?? ""}9999`]) {
      const reset = await open(verifierToken, { "last-event-id": lost });
      const e = await reset.next(is("reset"));
      expect(e.id).toMatch(/^[\w-]+\.\d+$/);
    }
  });

  // The queue is per connection, whatever the dialect: SQLite's in-process feed can be flooded cheaply.
  it.runIf(kind === "sqlite")("drops a consumer that does not read, and keeps serving the others", async () => {
    for (const s of streams.splice(0)) s.close();
    for (let i = 0; i < 100 && h.services.authEvents.streams() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    const port = new URL(base).port;
    const socket = connect(Number(port), "127.0.0.1");
    socket.write(`GET /v1/auth/events HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${verifierToken}\r\n\r\n`);
    socket.pause(); // never reads
    socket.on("error", () => undefined);
    for (let i = 0; i < 100 && h.services.authEvents.streams() === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(h.services.authEvents.streams()).toBe(1);
    // events, fast, until the connection's queue is full and the server cuts it (kernel buffers take a few MB first)
    for (let batch = 0; batch < 400 && h.services.authEvents.streams() > 0; batch++) {
      for (let i = 0; i < 1000; i++) h.services.store.feed.emit({ t: "signing-keys" });
      await h.services.authEvents.settled();
      await new Promise((r) => setImmediate(r));
    }
    expect(h.services.authEvents.streams()).toBe(0);
    socket.destroy();
    const healthy = await open(verifierToken);
    await h.services.store.publish({ t: "signing-keys" });
    await healthy.next(is("signing-key.deleted"));
  });

  it("streams member.removed to verifiers of that team or organisation; a stream on a token whose creator left goes on", async () => {
    await h.owner.ok("POST", "/v1/orgs", { name: "Umbrella" });
    const orgVerifier = await h.owner.ok<{ token: string }>("POST", "/v1/orgs/umbrella/tokens", { name: "org verifier", roleId: "admin" });
    const leaver = await h.newMember(h.owner, "/v1/teams/acme", ["admin"]);
    const theirs = await leaver.ok<{ token: string }>("POST", "/v1/teams/acme/tokens", { name: "leaver's verifier", roleId: "verifier" });
    const outsider = await h.newMember(h.owner, "/v1/teams/other", ["default"]);
    const orgLeaver = await h.newMember(h.owner, "/v1/orgs/umbrella", ["member"]);
    const s = await open(verifierToken);
    const own = await open(theirs.token);
    const org = await open(orgVerifier.token);

    await h.owner.ok("DELETE", `/v1/teams/other/members/${outsider.userId}`);
    await h.owner.ok("DELETE", `/v1/orgs/umbrella/members/${orgLeaver.userId}`);
    await h.owner.ok("DELETE", `/v1/teams/acme/members/${leaver.userId}`);
    const removed = await s.next(is("member.removed", "userId", leaver.userId));
    expect(data(removed)).toEqual({ type: "member.removed", userId: leaver.userId, entityType: "team", entityId: "acme" });
    expect(removed.id).toMatch(/^[\w-]+\.\d+$/);
    const left = await org.next(is("member.removed", "userId", orgLeaver.userId));
    expect(data(left)).toEqual({ type: "member.removed", userId: orgLeaver.userId, entityType: "org", entityId: "umbrella" });
    // committed before the team's: neither the other team's nor the organisation's departure reached acme's verifier
    expect(s.events.some(is("member.removed", "userId", outsider.userId))).toBe(false);
    expect(s.events.some(is("member.removed", "userId", orgLeaver.userId))).toBe(false);
    expect(org.events.some(is("member.removed"))).toBe(true);
    expect(org.events.some(is("member.removed", "userId", leaver.userId))).toBe(false);

    // The leaver's token keeps working, and so does its stream.
    await own.next(is("member.removed", "userId", leaver.userId));
    const later = await mint("acme", "later");
    await h.owner.ok("DELETE", `/v1/teams/acme/tokens/${later.id}`);
    await own.next(is("token.revoked", "tokenId", later.id));
    expect(own.ended).toBe(false);
  });

  it("ends a console session's stream when that person leaves the team", async () => {
    const email = `watcher-${kind}@example.com`;
    const password = "watcher password 1234";
    await h.join(h.owner, "/v1/teams/acme", ["verifier"], email, password);
    const signedIn = await h.app.inject({ method: "POST", url: "/v1/session", payload: { email, password } });
    const cookie = signedIn.cookies.find((c) => c.name === "latchkey_session");
    const userId = (JSON.parse(signedIn.body) as { data: { user: { id: string } } }).data.user.id;
    const headers = { cookie: `latchkey_session=${cookie?.value ?? ""}` };
    const s = await open("", headers);
    expect(s.status).toBe(200);
    await h.owner.ok("DELETE", `/v1/teams/acme/members/${userId}`);
    await s.next(is("member.removed", "userId", userId));
    for (let i = 0; i < 200 && !s.ended; i++) await new Promise((r) => setTimeout(r, 5));
    expect(s.ended).toBe(true);
    // on reconnect the reach is read again: apis.verify nowhere now
    expect((await openSse(`${base}/v1/auth/events`, headers)).status).toBe(403);
  });

  it("ends the stream when the caller's own token is revoked", async () => {
    const own = await mint("acme", "own verifier", "verifier");
    const s = await open(own.token);
    await h.owner.ok("DELETE", `/v1/teams/acme/tokens/${own.id}`);
    await s.next(is("token.revoked", "tokenId", own.id));
    for (let i = 0; i < 200 && !s.ended; i++) await new Promise((r) => setTimeout(r, 5));
    expect(s.ended).toBe(true);
    expect((await openSse(`${base}/v1/auth/events`, { authorization: `Bearer ${own.token}` })).status).toBe(401);
  });
});
