/**
 * Bad input from the other side: a stand-in for Latchkey (node:http) that sends a garbage stream, closes mid-event,
 * answers 5xx or hangs. The verifier gives a clear result every time and never keeps a stale valid:true.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { createVerifier, VerifierUnavailableError, type Verifier } from "./index.js";

const VALID = {
  valid: true,
  code: "VALID",
  token: { id: "tok_1", name: "t", entityType: "team", entityId: "acme", role: { id: "r", name: "R", type: "team" }, expiresAt: null },
};

let server: Server | undefined;
let verifier: Verifier | undefined;
afterEach(async () => {
  verifier?.close();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server?.closeAllConnections();
});

async function stand(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("no address");
  return `http://127.0.0.1:${address.port}`;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the verifier facing a broken Latchkey", () => {
  it("a garbage stream: nothing is kept, every verify asks", async () => {
    let checks = 0;
    const url = await stand((req, res) => {
      if (req.url === "/v1/auth/events") {
        res.writeHead(200, { "content-type": "text/event-stream" });
        const timer = setInterval(() => res.write("event: token.revoked\ndata: {not json\n\n"), 5);
        res.on("close", () => clearInterval(timer));
        return;
      }
      checks++;
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data: VALID }));
    });
    verifier = createVerifier({ url, token: "svc", graceMs: 50 });
    await sleep(50);
    for (let i = 0; i < 5; i++) {
      expect((await verifier.verify("a.b.c")).valid).toBe(true);
      await sleep(10);
    }
    expect(checks).toBeGreaterThanOrEqual(4);
  });

  it("a stream closed mid-event and never back: cached answers stop after the grace; 5xx then fails closed", async () => {
    let phase: "ok" | "down" = "ok";
    const url = await stand((req, res) => {
      if (req.url === "/v1/auth/events") {
        if (phase === "down") return void res.writeHead(503).end();
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(": connected\n\n");
        setTimeout(() => {
          res.write('id: x.1\nevent: token.revoked\ndata: {"tokenId":');
          phase = "down";
          res.destroy();
        }, 60);
        return;
      }
      if (phase === "down") return void res.writeHead(502, { "content-type": "application/json" }).end("{}");
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data: VALID }));
    });
    verifier = createVerifier({ url, token: "svc", graceMs: 100 });
    await sleep(30);
    expect((await verifier.verify("a.b.c")).valid).toBe(true);
    await sleep(250);
    await expect(verifier.verify("a.b.c")).rejects.toBeInstanceOf(VerifierUnavailableError);
  });

  it("a hanging check: fails closed after timeoutMs", async () => {
    const url = await stand(() => undefined);
    verifier = createVerifier({ url, token: "svc", graceMs: 10, timeoutMs: 100 });
    const started = Date.now();
    await expect(verifier.verify("a.b.c")).rejects.toThrow(/did not answer/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("a closed verifier refuses; huge and empty tokens are NOT_FOUND without a call", async () => {
    const url = await stand((_req, res) => res.writeHead(500).end());
    verifier = createVerifier({ url, token: "svc" });
    expect(await verifier.verify("x".repeat(10_000))).toEqual({ valid: false, code: "NOT_FOUND" });
    expect(await verifier.verify("")).toEqual({ valid: false, code: "NOT_FOUND" });
    verifier.close();
    await expect(verifier.verify("a.b.c")).rejects.toThrow(/closed/);
  });
});
