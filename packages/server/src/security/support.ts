import { createDecipheriv, createPrivateKey, type KeyObject } from "node:crypto";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import type { Harness } from "../test-support/harness.js";

// Helpers shared by the security suites: the instance's own signing key (what an attacker who stole it would hold),
// a real listener, raw HTTP requests from chosen loopback addresses.

/**
 * The active signing key, decrypted from the store with the master key as the server itself does: lets a test sign
 * hostile tokens that pass the signature check, so that what refuses them is everything after it.
 */
export async function stolenSigningKey(h: Harness): Promise<{ kid: string; privateKey: KeyObject }> {
  const kid = h.services.keys.activeKid();
  const row = (await h.services.store.signingKeys.all()).find((r) => r.kid === kid);
  if (!kid || !row) throw new Error("no active signing key");
  const [, iv, tag, body] = row.private_key.split(".") as [string, string, string, string];
  const decipher = createDecipheriv("aes-256-gcm", h.config.masterKey, Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  const der = Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]);
  return { kid, privateKey: createPrivateKey({ key: der, format: "der", type: "pkcs8" }) };
}

/** Starts the harness's app on a real socket (127.0.0.1, a free port) and returns the port. */
export async function listen(h: Harness): Promise<number> {
  await h.app.listen({ port: 0, host: "127.0.0.1" });
  return (h.app.server.address() as AddressInfo).port;
}

/** A loopback address of its own for request `i` (all of 127/8 reaches a server bound to 127.0.0.1 on Linux). */
export const loopback = (i: number): string => `127.${1 + ((i >> 16) & 0x7f)}.${(i >> 8) & 0xff}.${i & 0xff || 1}`;

/** A distinct address for inject(), so that per-address throttles of failed authentications do not mix cases. */
export const remote = (i: number): string => `10.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff}`;

export interface RawReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request over a real socket with node:http (no client-side header checks beyond Node's own). */
export function rawRequest(
  port: number,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer; localAddress?: string },
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        method: options.method ?? "GET",
        path: options.path,
        headers: options.headers ?? {},
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}
