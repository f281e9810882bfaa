import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../config.js";
import { rotateSigningKey } from "../rotate-signing-key.js";
import { createInProcessFeed } from "../store/change-feed.js";
import { openDatabase, type Db } from "../store/database.js";
import { createStore, type Store } from "../store/store.js";
import { dialects, freshDatabase } from "../test-support/databases.js";
import { verifyJwt } from "./jwt.js";
import { createSigningKeys } from "./signing-keys.js";

const expected = { iss: "http://latchkey.test", aud: "http://latchkey.test/v1" };
const claims = { ...expected, sub: "tok_a", jti: "key_a", client_id: "tok_a", iat: 1, entityType: "team", entityId: "acme" };

describe.each(dialects())("signing keys on %s", (kind) => {
  let db: Db;
  let store: Store;
  let url: string;
  let drop: () => Promise<void>;
  const masterKey = randomBytes(32);
  beforeAll(async () => {
    const fresh = await freshDatabase(kind);
    url = fresh.url;
    drop = fresh.drop;
    db = await openDatabase(kind === "sqlite" ? { kind, path: url.slice("sqlite:".length) } : { kind, url });
    store = createStore(db, createInProcessFeed());
  });
  afterAll(async () => {
    await db.close();
    await drop();
  });

  it("creates one Ed25519 key on first start, stores it encrypted, and signs at+jwt tokens with a kid", async () => {
    const keys = createSigningKeys({ store, masterKey, now: () => new Date() });
    await keys.init();
    const rows = await store.signingKeys.all();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.private_key).toMatch(/^v1\./);
    expect(rows[0]?.private_key).not.toContain("PRIVATE");
    const jwt = await keys.sign(claims);
    const header = JSON.parse(Buffer.from(jwt.split(".")[0] ?? "", "base64url").toString()) as Record<string, string>;
    expect(header).toEqual({ alg: "EdDSA", typ: "at+jwt", kid: rows[0]?.kid });
    expect(verifyJwt(jwt, keys.knownPublicKey, expected).sub).toBe("tok_a");
    expect(keys.jwks().keys).toEqual([
      expect.objectContaining({ kty: "OKP", crv: "Ed25519", kid: rows[0]?.kid, alg: "EdDSA", use: "sig" }),
    ]);
    expect(JSON.stringify(keys.jwks())).not.toMatch(/"d"/);
  });

  it("a second process sees the same key and does not create another", async () => {
    const other = createSigningKeys({ store, masterKey, now: () => new Date() });
    await other.init();
    expect(await store.signingKeys.all()).toHaveLength(1);
  });

  it("rotates without breaking tokens signed by the old key", async () => {
    const keys = createSigningKeys({ store, masterKey, now: () => new Date() });
    await keys.init();
    const before = await keys.sign(claims);
    const oldKid = keys.activeKid();
    const config = loadConfig({ LATCHKEY_DATABASE_URL: url, LATCHKEY_MASTER_KEY: masterKey.toString("base64"), LATCHKEY_DATA_DIR: "/tmp" });
    const newKid = await rotateSigningKey(config);
    expect(newKid).not.toBe(oldKid);
    await keys.reload();
    expect(keys.activeKid()).toBe(newKid);
    const after = await keys.sign(claims);
    expect(JSON.parse(Buffer.from(after.split(".")[0] ?? "", "base64url").toString())).toMatchObject({ kid: newKid });
    expect(verifyJwt(before, keys.knownPublicKey, expected).sub).toBe("tok_a");
    expect(verifyJwt(after, keys.knownPublicKey, expected).sub).toBe("tok_a");
    expect(keys.jwks().keys.map((k) => k["kid"])).toEqual(expect.arrayContaining([oldKid, newKid]));
  });

  it("learns of a key another process created when it meets an unknown kid, reloading once a second at most", async () => {
    let at = Date.parse("2025-01-01T00:00:00Z");
    const clock = () => new Date(at);
    const stale = createSigningKeys({ store, masterKey, now: clock });
    await stale.init();
    const fresh = createSigningKeys({ store, masterKey, now: clock });
    await fresh.init();
    const kid = await fresh.rotate();
    expect(stale.knownPublicKey(kid)).toBeUndefined();
    // Within a second of its last reload an unknown kid costs no query: forged kids cannot hammer the database.
    at += 999;
    expect(await stale.publicKey(kid)).toBeUndefined();
    at += 1;
    expect(await stale.publicKey(kid)).toBeDefined();
    expect(stale.knownPublicKey(kid)).toBeDefined();
  });

  it("refuses to start with a master key that did not encrypt the stored keys", async () => {
    const wrong = createSigningKeys({ store, masterKey: randomBytes(32), now: () => new Date() });
    await expect(wrong.init()).rejects.toThrow(/LATCHKEY_MASTER_KEY/);
  });
});
