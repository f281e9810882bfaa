import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { events } from "../../test-support/audit.js";
import { createTestClock } from "../../test-support/clock.js";
import { dialects } from "../../test-support/databases.js";
import { startHarness, type Harness } from "../../test-support/harness.js";

interface Created {
  apiToken: { id: string };
  token: string;
}
interface Verdict {
  token_hash: string;
  token_type: string;
  label: string;
}

const p256 = () => generateKeyPairSync("ec", { namedCurve: "P-256" });
const pem = (key: KeyObject) => key.export({ format: "pem", type: "spki" }).toString();

/** GitHub's key document, served over HTTP on loopback; `mode` makes it misbehave. */
function startKeyServer(keys: () => { key_identifier: string; key: string; is_current: boolean }[]) {
  const state = { fetches: 0, mode: "ok" as "ok" | "huge" | "broken" };
  const server: Server = createServer((request, response) => {
    state.fetches++;
    response.setHeader("content-type", "application/json");
    if (state.mode === "broken") return void response.end("{not json");
    if (state.mode === "huge") return void response.end(JSON.stringify({ public_keys: keys(), padding: "x".repeat(200_000) }));
    response.end(JSON.stringify({ public_keys: keys() }));
  });
  return { server, state };
}

describe.each(dialects())("GitHub secret scanning on %s", (kind) => {
  const clock = createTestClock();
  const current = p256();
  const older = p256();
  const attacker = p256();
  let published = [
    { key_identifier: "kid-current", key: pem(current.publicKey), is_current: true },
    { key_identifier: "kid-older", key: pem(older.publicKey), is_current: false },
  ];
  const keyServer = startKeyServer(() => published);
  let h: Harness;
  const team = "/v1/teams/acme";
  const mint = (name: string) => h.owner.ok<Created>("POST", `${team}/tokens`, { name, roleId: "default" });
  const works = async (token: string) => (await h.client({ bearer: token }).get("/v1/login")).status;
  const signed = (body: string, key: KeyObject = current.privateKey) => sign("sha256", Buffer.from(body), key).toString("base64");
  const send = (body: string, headers: Record<string, string>) =>
    h.app.inject({
      method: "POST",
      url: "/v1/secret-scanning/github",
      payload: body,
      headers: { "content-type": "application/json", ...headers },
    });
  const report = (matches: unknown[]) => JSON.stringify(matches);

  beforeAll(async () => {
    await new Promise<void>((resolve) => keyServer.server.listen(0, "127.0.0.1", resolve));
    const { port } = keyServer.server.address() as AddressInfo;
    h = await startHarness(
      kind,
      { LATCHKEY_GITHUB_SCANNING_KEYS_URL: `http://127.0.0.1:${port}/meta/public_keys/secret_scanning` },
      { now: clock.now },
    );
    await h.owner.ok("POST", "/v1/teams", { name: "Acme" });
  });
  afterAll(async () => {
    await h.close();
    await new Promise((resolve) => keyServer.server.close(resolve));
  });

  it("revokes true positives with source github and the URL, and labels each match by the SHA-256 of its token", async () => {
    const leaked = await mint("pushed to a public repo");
    const bystander = await mint("bystander");
    const url = "https://github.com/someone/repo/blob/abc/config.env";
    const body = report([
      { token: leaked.token, type: "latchkey_api_token", url, source: "content" },
      { token: "eyJhbGciOiJIUzI1NiJ9.e30.c2ln", type: "latchkey_api_token", url, source: "content" },
    ]);
    const res = await send(body, { "github-public-key-identifier": "kid-current", "github-public-key-signature": signed(body) });
    expect(res.statusCode, res.body).toBe(200);
    const verdicts = JSON.parse(res.body) as Verdict[];
    const hash = (t: string) => createHash("sha256").update(t).digest("hex");
    expect(verdicts).toEqual([
      { token_hash: hash(leaked.token), token_type: "latchkey_api_token", label: "true_positive" },
      { token_hash: hash("eyJhbGciOiJIUzI1NiJ9.e30.c2ln"), token_type: "latchkey_api_token", label: "false_positive" },
    ]);
    expect(await works(leaked.token)).toBe(401);
    expect(await works(bystander.token)).toBe(200);
    const feed = await events(h.owner, `${team}/audit-logs?eventType=apiTokens.leaked`);
    expect(feed).toHaveLength(1);
    expect(feed[0]?.details.after).toMatchObject({ source: "github", url });
    // Signed by the older key GitHub still publishes: accepted too; the token is already revoked, still a true positive.
    const again = await send(body, {
      "github-public-key-identifier": "kid-older",
      "github-public-key-signature": signed(body, older.privateKey),
    });
    expect(again.statusCode).toBe(200);
    expect((JSON.parse(again.body) as Verdict[])[0]?.label).toBe("true_positive");
    expect(keyServer.state.fetches).toBe(1);
  });

  it("refuses unsigned, wrongly signed and replayed reports with 401, and malformed or oversized ones with 400 or 413, revoking nothing", async () => {
    const live = await mint("live");
    const body = report([{ token: live.token, type: "latchkey_api_token", url: "https://github.com/x", source: "content" }]);
    const other = report([{ token: live.token, type: "latchkey_api_token", url: "https://github.com/y", source: "content" }]);
    const good = signed(body);
    const refusals: [string, Record<string, string>][] = [
      [body, {}],
      [body, { "github-public-key-identifier": "kid-current" }],
      [body, { "github-public-key-signature": good }],
      [body, { "github-public-key-identifier": "kid-current", "github-public-key-signature": signed(body, attacker.privateKey) }],
      [body, { "github-public-key-identifier": "kid-older", "github-public-key-signature": good }],
      [other, { "github-public-key-identifier": "kid-current", "github-public-key-signature": good }],
      [`${body} `, { "github-public-key-identifier": "kid-current", "github-public-key-signature": good }],
      [body, { "github-public-key-identifier": "kid-current", "github-public-key-signature": "not base64 at all!" }],
      [body, { "github-public-key-identifier": "kid-current", "github-public-key-signature": "A".repeat(10_000) }],
    ];
    for (const [payload, headers] of refusals) {
      const res = await send(payload, headers);
      expect(res.statusCode, JSON.stringify(headers).slice(0, 100)).toBe(401);
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: "UNAUTHENTICATED" } });
    }
    const sign1 = (payload: string) => ({ "github-public-key-identifier": "kid-current", "github-public-key-signature": signed(payload) });
    const tooMany = report(Array.from({ length: 1001 }, () => ({ token: live.token, type: "t", url: "u", source: "s" })));
    const bad: [string, number][] = [
      [tooMany, 400],
      [report([]), 400],
      [JSON.stringify({ token: live.token, type: "t" }), 400],
      [report([{ token: live.token }]), 400],
      [report([{ token: live.token, type: "t", url: "u", source: "s" }]).slice(0, -1), 400],
      [report([{ token: live.token, type: "t", url: "u", source: "x".repeat(1_100_000) }]), 413],
    ];
    for (const [payload, status] of bad) {
      const res = await send(payload, sign1(payload));
      expect(res.statusCode, payload.slice(0, 80)).toBe(status);
    }
    expect(await works(live.token)).toBe(200);
    expect(await events(h.owner, `${team}/audit-logs?eventType=apiTokens.leaked`)).toHaveLength(1);
  });

  it("refetches the keys on an unknown key id, once a minute at most, and ignores a document that is too large or broken", async () => {
    const live = await mint("rotated key");
    const body = report([{ token: live.token, type: "latchkey_api_token", url: "https://github.com/z", source: "content" }]);
    const before = keyServer.state.fetches;
    const rotated = p256();
    const headers = { "github-public-key-identifier": "kid-new", "github-public-key-signature": signed(body, rotated.privateKey) };
    // Not yet published: unknown id, one fetch (the last was more than a minute ago on the server's clock).
    clock.advance(61_000);
    expect((await send(body, headers)).statusCode).toBe(401);
    expect(keyServer.state.fetches).toBe(before + 1);
    // Published now, but the last fetch was a moment ago: forged ids cannot make the server hammer GitHub.
    published = [...published, { key_identifier: "kid-new", key: pem(rotated.publicKey), is_current: true }];
    for (let i = 0; i < 5; i++) expect((await send(body, headers)).statusCode).toBe(401);
    expect(keyServer.state.fetches).toBe(before + 1);
    // A document too large, then a broken one: nothing learnt, known keys kept.
    keyServer.state.mode = "huge";
    clock.advance(61_000);
    expect((await send(body, headers)).statusCode).toBe(401);
    keyServer.state.mode = "broken";
    clock.advance(61_000);
    expect((await send(body, headers)).statusCode).toBe(401);
    expect(keyServer.state.fetches).toBe(before + 3);
    expect(await works(live.token)).toBe(200);
    keyServer.state.mode = "ok";
    clock.advance(61_000);
    expect((await send(body, headers)).statusCode).toBe(200);
    expect(await works(live.token)).toBe(401);
  });
});
