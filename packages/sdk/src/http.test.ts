import { describe, expect, it } from "vitest";
import { ApiError, TransportError } from "./errors.js";
import { normalizeHost } from "./host.js";
import { HttpClient } from "./http.js";
import { cliLoginUrl, parseCliLoginMessage } from "./cli-login.js";

/** A fetch that answers from a table and remembers what it was asked. */
function fakeFetch(answer: (url: URL, init: RequestInit) => { status: number; body: string }) {
  const calls: { url: URL; init: RequestInit }[] = [];
  const fn = (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    calls.push({ url, init });
    const { status, body } = answer(url, init);
    return Promise.resolve(new Response(body, { status, headers: { "content-type": "application/json" } }));
  };
  return { fetch: fn, calls };
}

describe("normalizeHost", () => {
  it.each([
    ["http://localhost:8080", "http://localhost:8080"],
    ["http://localhost:8080/", "http://localhost:8080"],
    ["latchkey.example.com", "https://latchkey.example.com"],
    ["https://example.com/latchkey//", "https://example.com/latchkey"],
    ["localhost:8080", "http://localhost:8080"],
    ["127.0.0.1:8080/", "http://127.0.0.1:8080"],
    ["[::1]:8080", "http://[::1]:8080"],
    ["localhost.example.com", "https://localhost.example.com"],
    ["http://localhost:8080/v1", "http://localhost:8080"],
    ["https://latchkey.example.com/v1/", "https://latchkey.example.com"],
    ["https://example.com/latchkey/v1", "https://example.com/latchkey"],
  ])("%s -> %s", (given, expected) => expect(normalizeHost(given)).toBe(expected));

  it("refuses other schemes", () => expect(() => normalizeHost("file:///etc/passwd")).toThrow(TypeError));
});

/** The transport's protected methods, opened for its own tests (programs use LatchkeyClient's typed methods). */
interface Raw {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  all<T>(path: string, key: string, query?: Record<string, unknown>, limit?: number): Promise<T[]>;
}
const raw = (options: ConstructorParameters<typeof HttpClient>[0]): Raw => new HttpClient(options) as unknown as Raw;

describe("HttpClient", () => {
  it("sends the bearer token, origin and JSON body, and returns data", async () => {
    const f = fakeFetch(() => ({ status: 200, body: '{"data":{"id":"p"}}' }));
    const client = raw({ baseUrl: "http://h", token: "T", origin: "cli", userAgent: "latchkey-cli/1", fetch: f.fetch });
    expect(await client.post("/v1/projects", { name: "P" })).toEqual({ id: "p" });
    const headers = f.calls[0]!.init.headers as Record<string, string>;
    expect(headers).toMatchObject({
      authorization: "Bearer T",
      "x-latchkey-origin": "cli",
      "content-type": "application/json",
      "user-agent": "latchkey-cli/1",
    });
    expect(f.calls[0]!.init.body).toBe('{"name":"P"}');
  });

  it("turns the error envelope into an ApiError", async () => {
    const body =
      '{"error":{"status":403,"code":"FORBIDDEN","message":"missing permission project.create","id":"req_1","details":{"permission":"project.create"}}}';
    const client = raw({ baseUrl: "http://h", fetch: fakeFetch(() => ({ status: 403, body })).fetch });
    const error = await client.get("/v1/projects").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 403, code: "FORBIDDEN", message: "missing permission project.create", requestId: "req_1" });
  });

  it("reports a reply that is not the API, and an unreachable host, as TransportError", async () => {
    const html = raw({ baseUrl: "http://h", fetch: fakeFetch(() => ({ status: 502, body: "<html>" })).fetch });
    await expect(html.get("/v1/auth")).rejects.toBeInstanceOf(TransportError);
    const down = raw({ baseUrl: "http://h", fetch: () => Promise.reject(new Error("ECONNREFUSED")) });
    await expect(down.get("/v1/auth")).rejects.toThrow(/cannot reach http:\/\/h: ECONNREFUSED/);
  });

  it("follows cursors until the last page, up to a limit", async () => {
    const f = fakeFetch((url) => {
      const cursor = url.searchParams.get("cursor");
      const page = cursor === null ? 1 : Number(cursor);
      const more = page < 3;
      return {
        status: 200,
        body: JSON.stringify({
          data: { items: [page] },
          pagination: { hasNextPage: more, count: 1, ...(more ? { cursor: String(page + 1) } : {}) },
        }),
      };
    });
    const client = raw({ baseUrl: "http://h", fetch: f.fetch });
    expect(await client.all<number>("/v1/x", "items", { all: true })).toEqual([1, 2, 3]);
    expect(f.calls[0]!.url.searchParams.get("all")).toBe("true");
    expect(f.calls.every((c) => c.url.searchParams.get("perPage") === "100")).toBe(true);
    expect(await client.all<number>("/v1/x", "items", {}, 2)).toEqual([1, 2]);
  });
});

describe("CLI login protocol helpers", () => {
  it("uses ws for http and wss for https", () => {
    expect(cliLoginUrl("http://localhost:8080")).toBe("ws://localhost:8080/v1/cli-login");
    expect(cliLoginUrl("https://example.com/lk/")).toBe("wss://example.com/lk/v1/cli-login");
  });

  it.each([
    [
      '{"type":"init-ack","loginPage":"http://x/cli-login?sessionToken=s"}',
      { type: "init-ack", loginPage: "http://x/cli-login?sessionToken=s" },
    ],
    ['{"type":"login-success","apiToken":"a.b.c","contextName":"acme"}', { type: "login-success", apiToken: "a.b.c", contextName: "acme" }],
    ['{"type":"login-failure","message":"denied"}', { type: "login-failure", message: "denied" }],
    ['{"type":"login-success"}', null],
    ['{"type":"other"}', null],
    ["not json", null],
    ["null", null],
  ])("%s", (text, expected) => expect(parseCliLoginMessage(text)).toEqual(expected));
});
