import { LatchkeyClient } from "@latchkey/sdk";

const CSRF_KEY = "latchkey.csrf";

/**
 * The console's one client: the session cookie travels by itself; the CSRF token that sign-in returned is kept in
 * this browser's storage so that a reload or a second tab can still make changes. Requests say they come from the
 * console, so the audit log shows origin "ui".
 */
export const client = new LatchkeyClient({ origin: "ui", csrfToken: readCsrf() });

function readCsrf(): string | undefined {
  try {
    return localStorage.getItem(CSRF_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Remembers (or forgets) the session's CSRF token. */
export function rememberCsrf(token: string | undefined): void {
  client.csrfToken = token;
  try {
    if (token) localStorage.setItem(CSRF_KEY, token);
    else localStorage.removeItem(CSRF_KEY);
  } catch {
    // Storage may be off (private mode): the token then lives only as long as this page.
  }
}

/** A sentence for people from anything thrown: the API's own message (ApiError), or the error's. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
