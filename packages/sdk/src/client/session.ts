import type { Query } from "../http.js";
import type { SessionReply, SetupCreate } from "../types.js";
import type { Transport } from "./transport.js";

/** Sends a request whose reply is a session, and keeps its CSRF token on the client. */
export async function startSession(
  t: Transport,
  method: string,
  path: string,
  options?: { query?: Query; body?: unknown },
): Promise<SessionReply> {
  const reply = await t.request<SessionReply>(method, path, options);
  t.keepCsrfToken(reply.csrfToken);
  return reply;
}

/** `LatchkeyClient.session`: console sessions. */
export function createSessionApi(t: Transport) {
  return {
    signIn: (email: string, password: string): Promise<SessionReply> =>
      startSession(t, "POST", "/v1/session", { body: { email, password } }),
    get: (): Promise<SessionReply> => startSession(t, "GET", "/v1/session"),
    /** Changes your password: every session of yours ends and this one is replaced (its new CSRF token is kept). */
    changePassword: (currentPassword: string, newPassword: string): Promise<SessionReply> =>
      startSession(t, "POST", "/v1/session/password", { body: { currentPassword, newPassword } }),
    signOut: async (): Promise<void> => {
      await t.request("DELETE", "/v1/session");
      t.keepCsrfToken(undefined);
    },
  };
}

/** What `LatchkeyClient.session` holds. */
export type SessionApi = ReturnType<typeof createSessionApi>;

/** `LatchkeyClient.setup`: first-run setup. */
export function createSetupApi(t: Transport) {
  return {
    /** Whether the instance waits for its first account; with a link's `token`, whether that link can still make it. */
    status: (token?: string) =>
      t.request<{ needsSetup: boolean; linkValid?: boolean }>("GET", "/v1/setup", token ? { query: { token } } : {}),
    create: (body: SetupCreate): Promise<SessionReply> => startSession(t, "POST", "/v1/setup", { body }),
  };
}

/** What `LatchkeyClient.setup` holds. */
export type SetupApi = ReturnType<typeof createSetupApi>;
