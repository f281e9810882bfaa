import { expect } from "vitest";
import type { TestReply } from "./harness.js";

/** Expects a 401 with the code and the bearer challenge, and (given the token) no trace of its signature in the reply. */
export function refused(res: TestReply, code: string, token?: string): void {
  expect(res.status, res.raw).toBe(401);
  expect(res.body.error?.code, res.raw).toBe(code);
  expect(res.headers["www-authenticate"]).toBe('Bearer error="invalid_token"');
  const signature = token?.split(".")[2];
  if (signature) expect(res.raw.includes(signature), res.raw).toBe(false);
}

/** Expects a 403 that names the missing permission (and carries no token). */
export function forbidden(res: TestReply, permission: string): void {
  expect(res.status, res.raw).toBe(403);
  expect(res.body.error?.code).toBe("FORBIDDEN");
  expect(res.body.error?.details).toMatchObject({ permission });
  expect(res.raw).not.toMatch(/"token":/);
}

/** Polls `check` every 25 ms until it holds (true) or `deadlineMs` passes (false). */
export async function waitFor(check: () => boolean | Promise<boolean>, deadlineMs = 8000): Promise<boolean> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}
