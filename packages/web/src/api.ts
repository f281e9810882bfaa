import { LatchkeyClient } from "@latchkey/sdk";

/**
 * The console's one client: the session cookie travels by itself, and the session's CSRF token comes from sign-in or
 * from `GET /v1/session` on every page load, kept in memory only (never in the browser's storage). Requests say they
 * come from the console, so the audit log shows origin "ui".
 */
export const client = new LatchkeyClient({ origin: "ui" });

/** A sentence for people from anything thrown: the API's own message (ApiError), or the error's. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
