import * as crypto from "node:crypto";

type OneShot = (algorithm: string, data: string, encoding: "base64") => string;
const oneShot = (crypto as unknown as { hash?: OneShot }).hash;

/** SHA-256 of a token, the cache key: one-shot `crypto.hash` (Node >= 20.12), else `createHash`. */
export const tokenKey: (token: string) => string = oneShot
  ? (token) => oneShot("sha256", token, "base64")
  : (token) => crypto.createHash("sha256").update(token).digest("base64");
