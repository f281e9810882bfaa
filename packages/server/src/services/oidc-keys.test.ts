import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIssuer, type TestIssuer } from "../test-support/oidc-issuer.js";
import { createOidcKeys, IssuerKeysError } from "./oidc-keys.js";

const FAST = { timeoutMs: 1000, maxBytes: 4096, cacheMs: 60_000, refreshMinMs: 1000 };

describe("OIDC keys from an issuer's discovery document (real HTTP on loopback)", () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await startIssuer();
  });
  afterAll(() => issuer.close());

  it("reads the JWKS named by the discovery document, caches it and asks again on refresh at most once per interval", async () => {
    let clock = 0;
    const keys = createOidcKeys(FAST, () => clock);
    const before = issuer.hits.get("/jwks") ?? 0;
    const set = await keys.keys(issuer.url);
    expect(set.keys.map((k) => k.kid)).toEqual(["test-key-1"]);
    await keys.keys(issuer.url);
    expect(issuer.hits.get("/jwks")).toBe(before + 1);
    expect(await keys.refresh(issuer.url)).toBeNull();
    clock += 1001;
    expect(await keys.refresh(issuer.url)).not.toBeNull();
    expect(issuer.hits.get("/jwks")).toBe(before + 2);
  });

  it("drops private and symmetric keys an issuer publishes by mistake", async () => {
    issuer.override("/jwks", (_req, res) => {
      res.end(
        JSON.stringify({ keys: [{ kty: "oct", k: "c2VjcmV0", kid: "hmac" }, { ...issuer.publicJwk, d: "private" }, issuer.publicJwk] }),
      );
    });
    try {
      const set = await createOidcKeys(FAST).keys(issuer.url);
      expect(set.keys).toEqual([issuer.publicJwk]);
    } finally {
      issuer.override("/jwks", null);
    }
  });

  const refusal = async (path: string, handler: Parameters<TestIssuer["override"]>[1], message: RegExp) => {
    issuer.override(path, handler);
    try {
      const error = await createOidcKeys(FAST)
        .keys(issuer.url)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IssuerKeysError);
      expect((error as Error).message).toMatch(message);
    } finally {
      issuer.override(path, null);
    }
  };

  it("refuses a huge discovery document (declared or streamed)", async () => {
    await refusal(
      "/.well-known/openid-configuration",
      (_req, res) => res.end(JSON.stringify({ pad: "x".repeat(10_000) })),
      /larger than 4096/,
    );
    await refusal(
      "/jwks",
      (_req, res) => {
        res.setHeader("transfer-encoding", "chunked");
        for (let i = 0; i < 10; i++) res.write("x".repeat(1000));
        res.end();
      },
      /larger than 4096/,
    );
  });

  it("gives up on a slow discovery document at the timeout", async () => {
    const started = Date.now();
    await refusal("/.well-known/openid-configuration", () => undefined, /did not answer within 1000 ms/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("refuses a discovery document naming another issuer, or keys from another origin, or a redirect", async () => {
    await refusal(
      "/.well-known/openid-configuration",
      (_req, res) => res.end(JSON.stringify({ issuer: "https://evil.example", jwks_uri: `${issuer.url}/jwks` })),
      /names another issuer/,
    );
    await refusal(
      "/.well-known/openid-configuration",
      (_req, res) => res.end(JSON.stringify({ issuer: issuer.url, jwks_uri: "https://evil.example/jwks" })),
      /points away from the issuer/,
    );
    await refusal(
      "/.well-known/openid-configuration",
      (_req, res) => {
        res.statusCode = 302;
        res.setHeader("location", "https://evil.example/.well-known/openid-configuration");
        res.end();
      },
      /could not be fetched|answered 302/,
    );
  });

  it("repeats a recent failure instead of asking a broken issuer again", async () => {
    let clock = 0;
    const keys = createOidcKeys(FAST, () => clock);
    issuer.override("/.well-known/openid-configuration", (_req, res) => {
      res.statusCode = 500;
      res.end();
    });
    try {
      const before = issuer.hits.get("/.well-known/openid-configuration") ?? 0;
      await expect(keys.keys(issuer.url)).rejects.toThrow(/answered 500/);
      await expect(keys.keys(issuer.url)).rejects.toThrow(/answered 500/);
      expect(issuer.hits.get("/.well-known/openid-configuration")).toBe(before + 1);
    } finally {
      issuer.override("/.well-known/openid-configuration", null);
    }
    clock += 1001;
    expect((await keys.keys(issuer.url)).keys).toHaveLength(1);
  });
});
