import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from "jose";

/** A local OIDC issuer on loopback: its own key pair, a discovery document and a JWKS over real HTTP. */
export interface TestIssuer {
  /** `http://127.0.0.1:<port>`: the `iss` of its tokens. */
  url: string;
  /** The public key as published (with its kid), e.g. to abuse it as an HMAC secret. */
  publicJwk: JWK;
  /** Signs an ID token (RS256, the published kid) with defaults: iss, iat now, exp in 5 minutes. */
  sign(claims: JWTPayload, options?: { kid?: string; key?: CryptoKey; now?: Date }): Promise<string>;
  /** Replaces how a path is answered (a huge, slow or foreign document); `null` restores the default. */
  override(path: string, handler: ((req: IncomingMessage, res: ServerResponse) => void) | null): void;
  /** How many times each path was requested. */
  hits: Map<string, number>;
  close(): Promise<void>;
}

export async function startIssuer(): Promise<TestIssuer> {
  const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid: "test-key-1", alg: "RS256", use: "sig" };
  const overrides = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
  const hits = new Map<string, number>();
  let url = "";
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const custom = overrides.get(path);
    if (custom) return custom(req, res);
    res.setHeader("content-type", "application/json");
    if (path === "/.well-known/openid-configuration") return res.end(JSON.stringify({ issuer: url, jwks_uri: `${url}/jwks` }));
    if (path === "/jwks") return res.end(JSON.stringify({ keys: [publicJwk] }));
    res.statusCode = 404;
    res.end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    publicJwk,
    hits,
    async sign(claims, options = {}) {
      const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
      return new SignJWT({ iss: url, iat: now, exp: now + 300, ...claims })
        .setProtectedHeader({ alg: "RS256", kid: options.kid ?? publicJwk.kid, typ: "JWT" })
        .sign(options.key ?? privateKey);
    },
    override(path, handler) {
      if (handler) overrides.set(path, handler);
      else overrides.delete(path);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
