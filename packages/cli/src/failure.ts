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

/** Exit codes: 0 success, 1 an API or network error (or a refusal), 2 a usage error. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** The exit code and the one line to print for anything a command threw. */
export function describeFailure(error: unknown): { code: number; message: string } {
  if (error instanceof UsageError) return { code: EXIT.usage, message: error.message };
  if (error instanceof ApiError) {
    const permission = typeof error.details?.["permission"] === "string" ? ` (needs ${error.details["permission"]})` : "";
    const id = error.requestId ? ` [request ${error.requestId}]` : "";
    return { code: EXIT.failed, message: `${error.message}${permission}${id}` };
  }
  if (error instanceof TransportError || error instanceof Cancelled) return { code: EXIT.failed, message: error.message };
  return { code: EXIT.failed, message: error instanceof Error ? error.message : String(error) };
}
