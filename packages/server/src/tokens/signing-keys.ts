import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { SignJWT, type JWTPayload } from "jose";
import type { Store } from "../store/store.js";
import type { SigningKeyRow } from "../store/repositories/signing-keys.js";
import { newId } from "../lib/secrets.js";
import { open, seal } from "../lib/sealed.js";

/** Opens a private key sealed with the master key (AES-256-GCM, see sealed.ts). */
function unseal(masterKey: Buffer, sealed: string): Buffer {
  try {
    return open(masterKey, sealed);
  } catch {
    throw new Error("cannot decrypt the signing keys: LATCHKEY_MASTER_KEY is not the key they were stored with");
  }
}

interface LoadedKey {
  kid: string;
  publicKey: KeyObject;
  jwk: Record<string, unknown>;
}

/** Ed25519 signing keys: created on first start, stored encrypted, rotated without breaking issued tokens. */
export function createSigningKeys(deps: { store: Store; masterKey: Buffer; now: () => Date }) {
  const { store, masterKey, now } = deps;
  let keys = new Map<string, LoadedKey>();
  let active: { kid: string; privateKey: KeyObject } | null = null;
  let lastReload = 0;

  const load = (rows: SigningKeyRow[]) => {
    keys = new Map(
      rows.map((r) => {
        const jwk = JSON.parse(r.public_jwk) as Record<string, string>;
        return [r.kid, { kid: r.kid, publicKey: createPublicKey({ key: jwk, format: "jwk" }), jwk }];
      }),
    );
    // Rows come newest first: the newest key that is not retired signs.
    const current = rows.find((r) => r.retired_at === null);
    if (!current) active = null;
    else if (active?.kid !== current.kid) {
      active = {
        kid: current.kid,
        privateKey: createPrivateKey({ key: unseal(masterKey, current.private_key), format: "der", type: "pkcs8" }),
      };
    }
  };

  /** Creates a key and makes it active; with `onlyIfNone`, does nothing when another process made one meanwhile. */
  const create = async (onlyIfNone: boolean): Promise<string | null> => {
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    const kid = newId("sig");
    const at = now().toISOString();
    return store.transaction(async (tx) => {
      await tx.advisoryLock("latchkey:signing-keys");
      if (onlyIfNone && (await tx.signingKeys.all()).some((k) => k.retired_at === null)) return null;
      await tx.signingKeys.insert({
        kid,
        public_jwk: JSON.stringify(publicKey.export({ format: "jwk" })),
        private_key: seal(masterKey, privateKey.export({ format: "der", type: "pkcs8" })),
        created_at: at,
        retired_at: null,
      });
      await tx.signingKeys.retireAllBut(kid, at);
      await tx.publish({ t: "signing-keys" });
      return kid;
    });
  };

  const reload = async () => {
    lastReload = now().getTime();
    load(await store.signingKeys.all());
  };

  return {
    /** Loads the keys, creating the first one on an empty instance. */
    async init(): Promise<void> {
      await reload();
      if (!active) {
        await create(true);
        await reload();
      }
    },
    reload,
    /** Makes a new key the signing key; older keys keep verifying the tokens they signed. Returns its kid. */
    async rotate(): Promise<string> {
      const kid = (await create(false)) ?? "";
      await reload();
      return kid;
    },
    /** The public key for a kid; an unknown kid triggers one reload a second at most (another process may have rotated). */
    async publicKey(kid: string): Promise<KeyObject | undefined> {
      const known = keys.get(kid);
      if (known) return known.publicKey;
      // On the injected clock, like every other window of the server (an unknown kid is rare: a Date costs nothing here).
      if (now().getTime() - lastReload < 1000) return undefined;
      await reload();
      return keys.get(kid)?.publicKey;
    },
    /** The public key for a kid from memory only (the hot path never waits on the database). */
    knownPublicKey: (kid: string): KeyObject | undefined => keys.get(kid)?.publicKey,
    /** Signs claims as an `at+jwt` with the active key (jose: issuing is not on the hot path). */
    async sign(claims: JWTPayload): Promise<string> {
      if (!active) throw new Error("no signing key: init() was not called");
      return new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", kid: active.kid }).sign(active.privateKey);
    },
    /** The public JWKS (`/.well-known/jwks.json`). */
    jwks(): { keys: Record<string, unknown>[] } {
      return { keys: [...keys.values()].map((k) => ({ ...k.jwk, kid: k.kid, use: "sig", alg: "EdDSA" })) };
    },
    activeKid: (): string | null => active?.kid ?? null,
  };
}

export type SigningKeys = ReturnType<typeof createSigningKeys>;
