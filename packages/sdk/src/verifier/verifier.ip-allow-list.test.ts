/**
 * IP allow-lists in the verifier: a stand-in for Latchkey (node:http) that answers checks for one token whose list is
 * 203.0.113.0/24 (holding the `ip` it is sent to that list, as Latchkey does) and streams events on demand. The
 * verifier holds every call to the list from memory: a cached token used from elsewhere is refused without a call.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import { compileAllowList } from "@latchkey/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createVerifier, type Verifier } from "./index.js";

const TOKEN = "a.b.c";
const FENCED = {
  id: "tok_1",
  name: "t",
  entityType: "team",
  entityId: "acme",
  role: { id: "r", name: "R", type: "team" },
  expiresAt: null,
  allowedIps: ["203.0.113.0/24"],
};

let server: Server | undefined;
let verifier: Verifier | undefined;
let stream: ServerResponse | undefined;
let asked: { ip?: string }[] = [];

afterEach(async () => {
  verifier?.close();
  stream = undefined;
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
});

async function until(what: string, probe: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 2000 ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

beforeEach(async () => {
  asked = [];
  const list = compileAllowList(FENCED.allowedIps)!;
  server = createServer((req, res) => {
    if (req.url === "/v1/auth/events") {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(": connected\n\n");
      stream = res;
      return;
    }
    let raw = "";
    req.on("data", (chunk: Buffer) => (raw += chunk.toString()));
    req.on("end", () => {
      const body = JSON.parse(raw) as { ip?: string };
      asked.push(body);
      const data =
        body.ip !== undefined && !list.allows(body.ip)
          ? { valid: false, code: "IP_NOT_ALLOWED", token: FENCED }
          : { valid: true, code: "VALID", token: FENCED, permissions: [] };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data }));
    });
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("no address");
  verifier = createVerifier({ url: `http://127.0.0.1:${address.port}`, token: "svc" });
  await until("stream up", () => verifier!.streaming() && stream !== undefined);
});

describe("the verifier and a token's IP allow-list", () => {
  it("an allowed address, then others for the same cached token: refused from memory, no call", async () => {
    expect(await verifier!.verify(TOKEN, { ip: "203.0.113.5" })).toMatchObject({ valid: true, code: "VALID" });
    expect(asked).toEqual([{ token: TOKEN, permissions: [], ip: "203.0.113.5" }]);
    const refused = await verifier!.verify(TOKEN, { ip: "198.51.100.1" });
    expect(refused).toEqual({ valid: false, code: "IP_NOT_ALLOWED", token: FENCED });
    expect((await verifier!.verify(TOKEN, { ip: "::ffff:203.0.113.9" })).code).toBe("VALID");
    expect((await verifier!.verify(TOKEN, { ip: "2001:db8::1" })).code).toBe("IP_NOT_ALLOWED");
    expect((await verifier!.verify(TOKEN, { ip: "garbage" })).code).toBe("IP_NOT_ALLOWED");
    expect((await verifier!.verify(TOKEN, { ip: "" })).code).toBe("IP_NOT_ALLOWED");
    // No address given: none is checked (as Latchkey's check without `ip`).
    expect((await verifier!.verify(TOKEN)).code).toBe("VALID");
    expect(asked).toHaveLength(1);
  });

  it("first sight from an address outside: Latchkey's refusal, not kept; an address that does not parse is not sent", async () => {
    expect((await verifier!.verify(TOKEN, { ip: "198.51.100.1" })).code).toBe("IP_NOT_ALLOWED");
    expect((await verifier!.verify(TOKEN, { ip: "203.0.113.5" })).code).toBe("VALID");
    expect(asked.map((a) => a.ip)).toEqual(["198.51.100.1", "203.0.113.5"]);
    verifier!.close();
    verifier = createVerifier({ url: `http://127.0.0.1:${(server!.address() as { port: number }).port}`, token: "svc" });
    await until("stream up", () => verifier!.streaming());
    // Latchkey would refuse it as input (400): the answer is held to the list here instead.
    expect((await verifier.verify(TOKEN, { ip: "not an address" })).code).toBe("IP_NOT_ALLOWED");
    expect(asked[2]).toEqual({ token: TOKEN, permissions: [] });
  });

  it("concurrent first sights from two addresses do not share one answer", async () => {
    const [outside, inside] = await Promise.all([
      verifier!.verify(TOKEN, { ip: "198.51.100.1" }),
      verifier!.verify(TOKEN, { ip: "203.0.113.5" }),
    ]);
    expect([outside.code, inside.code]).toEqual(["IP_NOT_ALLOWED", "VALID"]);
    expect(asked).toHaveLength(2);
  });

  it("token.updated (an allow-list PATCHed) drops the kept answer: the next call asks again", async () => {
    expect((await verifier!.verify(TOKEN, { ip: "203.0.113.5" })).valid).toBe(true);
    expect((await verifier!.verify(TOKEN, { ip: "203.0.113.5" })).valid).toBe(true);
    expect(asked).toHaveLength(1);
    stream!.write(`id: 1\nevent: token.updated\ndata: ${JSON.stringify({ type: "token.updated", tokenId: FENCED.id })}\n\n`);
    await until("dropped", async () => {
      await verifier!.verify(TOKEN, { ip: "203.0.113.5" });
      return asked.length === 2;
    });
  });
});
