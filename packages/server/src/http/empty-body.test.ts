import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../test-support/databases.js";
import { OWNER_EMAIL, OWNER_PASSWORD, startHarness, type Harness } from "../test-support/harness.js";

/** One raw HTTP/1.1 request, written exactly as given: no client library adds or drops a header. */
function raw(port: number, method: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, method, path, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

// Issue #17: a DELETE or POST sent with `content-type: application/json` and no body is a request without a body
// (it used to be refused with 400 "Body cannot be empty"). Each case sends what one kind of client sends, over a
// real socket.
describe.each(dialects())("an empty JSON body is no body on %s", (kind) => {
  let h: Harness;
  let port: number;
  let token: string;
  let tokenId: string;
  /** The owner's console session, as a browser sends it on a write. */
  let session: Record<string, string>;
  beforeAll(async () => {
    h = await startHarness(kind);
    await h.owner.ok("POST", "/v1/teams", { name: "Platform" });
    const created = await h.owner.ok<{ token: string; apiToken: { id: string } }>("POST", "/v1/teams/platform/tokens", {
      name: "sdk",
      roleId: "owner",
    });
    token = created.token;
    tokenId = created.apiToken.id;
    const signIn = await h.app.inject({ method: "POST", url: "/v1/session", payload: { email: OWNER_EMAIL, password: OWNER_PASSWORD } });
    const cookie = signIn.cookies.find((c) => c.name === "latchkey_session")?.value ?? "";
    session = { cookie: `latchkey_session=${cookie}`, "x-csrf-token": signIn.json<{ data: { csrfToken: string } }>().data.csrfToken };
    await h.app.listen({ port: 0, host: "127.0.0.1" });
    port = (h.app.server.address() as AddressInfo).port;
  });
  afterAll(() => h.close());

  const auth = (): Record<string, string> => ({ authorization: `Bearer ${token}` });
  const console = (): Record<string, string> => session;

  it("a generated SDK's fetch DELETE with content-type application/json and no body", async () => {
    await h.owner.ok("POST", "/v1/teams/platform/projects", { name: "From Fetch" });
    const res = await fetch(`http://127.0.0.1:${port}/v1/projects/from-fetch`, {
      method: "DELETE",
      headers: { ...auth(), "content-type": "application/json" },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { id: "from-fetch", deleted: true } });
  });

  it("an axios-style DELETE: content-type application/json and content-length 0", async () => {
    await h.owner.ok("POST", "/v1/teams/platform/projects", { name: "From Axios" });
    const res = await raw(port, "DELETE", "/v1/projects/from-axios", {
      ...auth(),
      "content-type": "application/json",
      "content-length": "0",
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ data: { id: "from-axios", deleted: true } });
  });

  it("a curl-style DELETE: content-type with a charset, no content-length, no body", async () => {
    await h.owner.ok("POST", "/v1/teams/platform/projects", { name: "From Curl" });
    const res = await raw(port, "DELETE", "/v1/projects/from-curl", { ...auth(), "content-type": "application/json; charset=utf-8" });
    expect(res.status).toBe(200);
  });

  it("a POST whose body is all optional (regenerate a token's key) with content-type and an empty body", async () => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/teams/platform/tokens/${tokenId}/keys`, {
      method: "POST",
      headers: { ...console(), "content-type": "application/json" },
      body: "",
    });
    expect(res.status).toBe(200);
    const data = ((await res.json()) as { data: { token: string } }).data;
    expect(typeof data.token).toBe("string");
  });

  it("an empty body where fields are required is a 400 naming them, never a 500; bad JSON is still a 400", async () => {
    const empty = await raw(port, "POST", "/v1/teams", {
      ...console(),
      "content-type": "application/json",
      "content-length": "0",
    });
    expect(empty.status).toBe(400);
    expect(JSON.parse(empty.body)).toMatchObject({
      error: { code: "VALIDATION_FAILED", details: { fields: { name: expect.any(String) as string } } },
    });
    const broken = await fetch(`http://127.0.0.1:${port}/v1/teams`, {
      method: "POST",
      headers: { ...console(), "content-type": "application/json" },
      body: "{",
    });
    expect(broken.status).toBe(400);
    const blank = await fetch(`http://127.0.0.1:${port}/v1/teams`, {
      method: "POST",
      headers: { ...console(), "content-type": "application/json" },
      body: " ",
    });
    expect(blank.status).toBe(400);
  });
});
