import { ApiError, TransportError } from "@latchkey/sdk";

/** A mistake in how the command was called (exit 2): a missing flag, a bad value, a missing context. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The person said no at a confirmation, or pressed Ctrl-C (exit 1, nothing done). */
export class Cancelled extends Error {
  constructor(message = "cancelled: nothing was changed") {
    super(message);
    this.name = "Cancelled";
  }
}

/** Refused before asking the server: the credential lacks the permission the command needs (exit 1, nothing done). */
export class Refused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Refused";
  }
}

/** Refusals of the credential itself: a new token is the way out. */
const LOGIN_AGAIN = new Set(["TOKEN_EXPIRED", "TOKEN_REVOKED", "TOKEN_INVALID"]);
export const LOGIN_HINT = "Run `latchkey login` to get a new token (or set LATCHKEY_TOKEN to a valid one).";

/** Exit codes: 0 success, 1 an API or network error (or a refusal), 2 a usage error. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** The exit code and the one line to print for anything a command threw. */
export function describeFailure(error: unknown): { code: number; message: string } {
  if (error instanceof UsageError) return { code: EXIT.usage, message: error.message };
  if (error instanceof ApiError) {
    // Each fact once: a permission the message names already is not repeated after it.
    const needed = error.details?.["permission"];
    const permission = typeof needed === "string" && !error.message.includes(needed) ? ` (needs ${needed})` : "";
    const id = error.requestId ? ` [request ${error.requestId}]` : "";
    const hint = LOGIN_AGAIN.has(error.code) ? `\n${LOGIN_HINT}` : "";
    return { code: EXIT.failed, message: `${error.message}${permission}${id}${hint}` };
  }
  if (error instanceof TransportError || error instanceof Cancelled || error instanceof Refused)
    return { code: EXIT.failed, message: error.message };
  return { code: EXIT.failed, message: error instanceof Error ? error.message : String(error) };
}
