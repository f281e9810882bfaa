import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OWNER_PASSWORD, startHarness, type Harness } from "../test-support/harness.js";

interface Line {
  level: number;
  msg: string;
  reqId?: string;
  method?: string;
  url?: string;
  status?: number;
  ms?: number;
  tokenId?: string | null;
}

/** A server at `level` whose log lines are kept, parsed. */
async function logged(level: string): Promise<{ h: Harness; lines: Line[] }> {
  const lines: Line[] = [];
  const h = await startHarness(
    "sqlite",
    { LATCHKEY_LOG_LEVEL: level },
    { logStream: { write: (line) => lines.push(JSON.parse(line) as Line) } },
  );
  return { h, lines };
}

describe("the access log", () => {
  let h: Harness;
  let lines: Line[];
  let token: string;
  let tokenId: string;
  beforeAll(async () => {
    ({ h, lines } = await logged("info"));
    await h.owner.ok("POST", "/v1/teams", { name: "Logs" });
    const created = await h.owner.ok<{ token: string; apiToken: { id: string } }>("POST", "/v1/teams/logs/tokens", {
      name: "reader",
      roleId: "default",
    });
    token = created.token;
    tokenId = created.apiToken.id;
  });
  afterAll(() => h.close());

  const requestLines = () => lines.filter((l) => l.msg === "request");

  it("writes one line per request: method, path without the query, status, ms, request id and token id", async () => {
    const before = lines.length;
    const res = await h.client({ bearer: token }).get("/v1/projects?per_page=7");
    expect(res.status).toBe(200);
    const mine = lines.slice(before);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      level: 30,
      msg: "request",
      reqId: res.headers["x-request-id"],
      method: "GET",
      url: "/v1/projects",
      status: 200,
      tokenId,
    });
    expect(typeof mine[0]?.ms).toBe("number");
    expect(JSON.stringify(mine)).not.toContain("per_page");
    expect(JSON.stringify(mine)).not.toContain(token);
  });

  it("a console request and a refused one have a line too, without a token id; no header, password or secret is logged", async () => {
    const before = lines.length;
    await h.signIn("owner@example.com", OWNER_PASSWORD);
    const refused = await h.client({ bearer: `${token}x` }).get("/v1/projects");
    expect(refused.status).toBe(401);
    const mine = lines.slice(before);
    expect(mine.map((l) => [l.method, l.url, l.status, l.tokenId])).toEqual([
      ["POST", "/v1/session", 200, null],
      ["GET", "/v1/projects", 401, null],
    ]);
    const text = JSON.stringify(lines);
    expect(text).not.toContain(OWNER_PASSWORD);
    expect(text).not.toContain(token);
    expect(text).not.toContain("latchkey_session=");
    expect(text).not.toContain("authorization");
    // Fastify's own two lines per request are off.
    expect(lines.some((l) => l.msg === "incoming request" || l.msg === "request completed")).toBe(false);
  });

  it("health checks are not logged at info", async () => {
    const before = requestLines().length;
    expect((await h.anon.get("/healthz")).status).toBe(200);
    expect((await h.anon.get("/readyz")).status).toBe(200);
    expect(requestLines().length).toBe(before);
  });

  it("health checks are logged at debug; nothing at all at warn", async () => {
    const debug = await logged("debug");
    try {
      await debug.h.anon.get("/healthz");
      expect(debug.lines.filter((l) => l.msg === "request" && l.url === "/healthz")).toEqual([
        expect.objectContaining({ level: 20, status: 200 }),
      ]);
    } finally {
      await debug.h.close();
    }
    const warn = await logged("warn");
    try {
      await warn.h.owner.get("/v1/teams");
      await warn.h.anon.get("/healthz");
      expect(warn.lines.filter((l) => l.msg === "request")).toEqual([]);
    } finally {
      await warn.h.close();
    }
  });
});
