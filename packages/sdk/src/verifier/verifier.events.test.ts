/**
 * What each event of `GET /v1/auth/events` drops from the verifier's memory, against a stand-in Latchkey (node:http)
 * that streams the events the test writes. An answer re-asked shows up as one more check call.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { createVerifier, type Verifier } from "./index.js";

const answer = (id: string) => ({
  valid: true,
  code: "VALID",
  token: { id, name: id, entityType: "team", entityId: "acme", role: { id: "reader", name: "Reader", type: "team" }, expiresAt: null },
});

let server: Server | undefined;
let verifier: Verifier | undefined;
afterEach(async () => {
  verifier?.close();
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
});

/** A stand-in whose check answers `tok_<bearer>` and counts calls per token; `send` writes one event to the stream. */
async function stand() {
  const checks = new Map<string, number>();
  let stream: ServerResponse | undefined;
  let seq = 0;
  server = createServer((req, res) => {
    if (req.url === "/v1/auth/events") {
      res.writeHead(200, { "content-type": "text/event-stream" }).write(": connected\n\n");
      stream = res;
      return;
    }
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const token = (JSON.parse(body) as { token: string }).token;
      checks.set(token, (checks.get(token) ?? 0) + 1);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data: answer(`tok_${token}`) }));
    });
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("no address");
  const url = `http://127.0.0.1:${address.port}`;
  return {
    url,
    checks: (token: string) => checks.get(token) ?? 0,
    send(event: Record<string, string>) {
      seq += 1;
      stream?.write(`id: run.${seq}\nevent: ${event["type"]}\ndata: ${JSON.stringify(event)}\n\n`);
    },
  };
}

describe("the verifier applying events", () => {
  it("member.removed drops nothing (a token whose creator left keeps working); token.revoked drops that token", async () => {
    const latchkey = await stand();
    verifier = createVerifier({ url: latchkey.url, token: "svc" });
    for (let i = 0; i < 200 && !verifier.streaming(); i++) await new Promise((r) => setTimeout(r, 5));
    expect(verifier.streaming()).toBe(true);
    await verifier.verify("a.a.a");
    await verifier.verify("b.b.b");
    await verifier.verify("a.a.a");
    expect([latchkey.checks("a.a.a"), latchkey.checks("b.b.b")]).toEqual([1, 1]);

    latchkey.send({ type: "member.removed", userId: "usr_creator", entityType: "team", entityId: "acme" });
    latchkey.send({ type: "token.revoked", tokenId: "tok_b.b.b", entityType: "team", entityId: "acme" });
    // Events apply in order: once b's revocation shows (b asked again), the member.removed before it was applied.
    for (let i = 0; i < 200 && latchkey.checks("b.b.b") === 1; i++) {
      await new Promise((r) => setTimeout(r, 5));
      await verifier.verify("b.b.b");
    }
    expect(latchkey.checks("b.b.b")).toBe(2);
    expect((await verifier.verify("a.a.a")).valid).toBe(true);
    expect(latchkey.checks("a.a.a")).toBe(1);
  });
});
