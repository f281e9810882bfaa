import { createPublicKey, verify, type KeyObject } from "node:crypto";
import { z } from "zod";

/** GitHub's document of secret scanning public keys (`/meta/public_keys/secret_scanning`). */
const KeysDocument = z.object({
  public_keys: z
    .array(z.object({ key_identifier: z.string().min(1).max(200), key: z.string().min(1).max(4096), is_current: z.boolean().optional() }))
    .max(100),
});

const FETCH_TIMEOUT_MS = 5000;
const MAX_DOCUMENT_BYTES = 64 * 1024;
/** An unknown key id refreshes the keys at most this often: forged ids cannot make us hammer GitHub. */
const REFRESH_INTERVAL_MS = 60_000;
/** Known keys are refreshed this often anyway, so that a key GitHub withdrew stops being trusted. */
const MAX_AGE_MS = 24 * 3_600_000;

/** Reads a response body up to `max` bytes; a larger one is refused rather than buffered. */
async function readCapped(response: Response, max: number): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > max) throw new Error(`key document larger than ${max} bytes`);
  const reader = (response.body as ReadableStream<Uint8Array> | null)?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new Error(`key document larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** A P-256 public key from PEM, or undefined for anything else. */
function p256(pem: string): KeyObject | undefined {
  try {
    const key = createPublicKey(pem);
    return key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1" ? key : undefined;
  } catch {
    return undefined;
  }
}

/**
 * GitHub's secret scanning signing keys: fetched from `url` (with a timeout and a size cap), cached, and refetched
 * when a report names a key id we do not know (once a minute at most) or once a day.
 */
export function createGithubScanningKeys(deps: { url: string; nowMs: () => number; onError?: (error: unknown) => void }) {
  const { url, nowMs } = deps;
  let keys = new Map<string, KeyObject>();
  let fetchedAtMs = Number.NEGATIVE_INFINITY;
  let pending: Promise<void> | null = null;

  const refresh = async (): Promise<void> => {
    fetchedAtMs = nowMs();
    try {
      const response = await fetch(url, {
        headers: { accept: "application/json", "user-agent": "latchkey" },
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
        redirect: "error",
      });
      if (!response.ok) throw new Error(`key document: HTTP ${response.status}`);
      const document = KeysDocument.parse(JSON.parse(await readCapped(response, MAX_DOCUMENT_BYTES)));
      const next = new Map<string, KeyObject>();
      for (const k of document.public_keys) {
        const key = p256(k.key);
        if (key) next.set(k.key_identifier, key);
      }
      keys = next;
    } catch (error) {
      deps.onError?.(error);
    }
  };
  /** One refresh at a time; callers meanwhile wait for the one under way. */
  const refreshOnce = (): Promise<void> => (pending ??= refresh().finally(() => (pending = null)));

  const keyFor = async (id: string): Promise<KeyObject | undefined> => {
    const age = nowMs() - fetchedAtMs;
    if (age >= MAX_AGE_MS || (!keys.has(id) && age >= REFRESH_INTERVAL_MS)) await refreshOnce();
    return keys.get(id);
  };

  return {
    /** Whether `signature` (base64 DER ECDSA P-256 SHA-256) over `body` is GitHub's, by the key `keyId`. */
    async verify(body: Buffer, keyId: string, signature: string): Promise<boolean> {
      if (keyId.length === 0 || keyId.length > 200 || signature.length === 0 || signature.length > 512) return false;
      const key = await keyFor(keyId);
      if (!key) return false;
      try {
        return verify("sha256", body, key, Buffer.from(signature, "base64"));
      } catch {
        return false;
      }
    },
  };
}

export type GithubScanningKeys = ReturnType<typeof createGithubScanningKeys>;
