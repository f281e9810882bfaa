import { normalizeHost, OAuthError, pollDeviceToken, startDeviceAuthorization } from "@latchkey/sdk";
import { UsageError } from "./failure.js";
import type { Runtime } from "./runtime.js";

/** The server to log in to: `--host`, else LATCHKEY_HOST, else the current context's. */
export function loginHost(rt: Runtime, given: string | undefined): string {
  const saved = rt.contexts();
  const host = given ?? rt.env["LATCHKEY_HOST"] ?? (saved.current ? saved.contexts[saved.current]?.host : undefined);
  if (!host) throw new UsageError("give the server with --host URL");
  try {
    return normalizeHost(host);
  } catch {
    throw new UsageError(`--host is not a URL: ${host}`);
  }
}

/**
 * The device flow (RFC 8628) from the CLI: asks for a request, shows the code and the page where a signed-in person
 * approves it (`show`, which may also open a browser), and polls as the server says (interval, slow_down) until the
 * token comes, the person denies or the request expires. Ctrl-C gives up.
 */
export async function deviceLogin(
  rt: Runtime,
  host: string,
  request: { requested_role?: string; requested_lifetime?: number; reason?: string },
  show: (page: string, userCode: string) => void,
): Promise<string> {
  const started = await startDeviceAuthorization(host, request);
  show(started.verification_uri_complete, started.user_code);
  rt.io.err(
    `Or open ${started.verification_uri} and enter the code ${started.user_code}.\n` +
      `Waiting for approval (the code is valid for ${Math.round(started.expires_in / 60)} minutes; Ctrl-C gives up)...\n`,
  );
  const aborter = new AbortController();
  const onInterrupt = () => aborter.abort();
  process.once("SIGINT", onInterrupt);
  try {
    const token = await pollDeviceToken(host, started, { signal: aborter.signal });
    return token.access_token;
  } catch (error) {
    if (error instanceof OAuthError && error.error === "access_denied") throw new UsageError("the request was denied in the console");
    if (error instanceof OAuthError && error.error === "expired_token") throw new UsageError("the code expired before anyone approved it");
    if (aborter.signal.aborted) throw new UsageError("gave up waiting for approval");
    throw error;
  } finally {
    process.off("SIGINT", onInterrupt);
  }
}
