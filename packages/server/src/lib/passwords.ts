import { randomBytes, scrypt, timingSafeEqual, type BinaryLike, type ScryptOptions } from "node:crypto";
import type { Metrics, PasswordPurpose } from "./metrics.js";

const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_LENGTH = 32;

function scryptAsync(password: BinaryLike, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** Hashes a password with scrypt; the result names its parameters so they can be raised later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password.normalize("NFC"), salt, KEY_LENGTH, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

/** Checks a password against a stored hash in constant time. Not exported: every check goes through `matches`. */
async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, key] = stored.split("$");
  if (kind !== "scrypt" || !n || !r || !p || !salt || !key) return false;
  const expected = Buffer.from(key, "base64url");
  const actual = await scryptAsync(password.normalize("NFC"), Buffer.from(salt, "base64url"), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: SCRYPT.maxmem,
  });
  return timingSafeEqual(actual, expected);
}

/** A hash to compare against when the account does not exist, so that timing does not reveal which e-mails exist. */
const DUMMY_PASSWORD_HASH = `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$AAAAAAAAAAAAAAAAAAAAAA$${"A".repeat(43)}`;

/**
 * The one place a password is compared with its hash. Each comparison is counted (`latchkey_password_checks_total`,
 * by purpose and result): the checks a throttle let through are seen, not inferred from replies.
 */
export function createPasswordChecks(metrics: Metrics | null) {
  return {
    /**
     * Whether `password` is the one `stored` hashes. Without a stored hash (no such account) the same work is done
     * against a stand-in, so that the time taken does not tell which addresses have an account; it never matches,
     * and is counted as a mismatch.
     */
    async matches(purpose: PasswordPurpose, password: string, stored: string | undefined): Promise<boolean> {
      const ok = (await verifyPassword(password, stored ?? DUMMY_PASSWORD_HASH)) && stored !== undefined;
      metrics?.passwordCheck(purpose, ok);
      return ok;
    },
  };
}

export type PasswordChecks = ReturnType<typeof createPasswordChecks>;
