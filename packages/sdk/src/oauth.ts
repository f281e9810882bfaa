/** OAuth's endpoints of a Latchkey server (form-encoded, OAuth's error form): token exchange and the device flow. */
import type * as core from "@latchkey/core";
import { GRANT_DEVICE_CODE, GRANT_TOKEN_EXCHANGE, TOKEN_TYPE_ID_TOKEN } from "@latchkey/core";
import type { z } from "zod";

export { GRANT_DEVICE_CODE, GRANT_TOKEN_EXCHANGE, TOKEN_TYPE_ID_TOKEN };

/** A refusal in OAuth's form (`{error, error_description}`). */
export class OAuthError extends Error {
  readonly error: string;
  readonly status: number;
  constructor(error: string, description: string, status: number) {
    super(description ? `${error}: ${description}` : error);
    this.name = "OAuthError";
    this.error = error;
    this.status = status;
  }
}

/** The reply to a device authorization request (RFC 8628 section 3.2). */
export type DeviceAuthorization = z.output<typeof core.DeviceAuthorizationReply>;

/** A token from the token endpoint. */
export interface OAuthToken {
  access_token: string;
  token_type: "Bearer";
  expires_in?: number;
  issued_token_type?: string;
}

async function postForm<T>(host: string, path: string, fields: Record<string, string>, fetchImpl: typeof fetch = fetch): Promise<T> {
  const response = await fetchImpl(`${host.replace(/\/+$/, "")}${path}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json", "x-latchkey-origin": "cli" },
    body: new URLSearchParams(fields).toString(),
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: reported below
  }
  if (response.ok) return body as T;
  const error = typeof body["error"] === "string" ? body["error"] : `http_${response.status}`;
  const description = typeof body["error_description"] === "string" ? body["error_description"] : text.slice(0, 200);
  throw new OAuthError(error, description, response.status);
}

/** Starts a device authorization; `requested_role`, `requested_lifetime` and `reason` ask for an elevation. */
export function startDeviceAuthorization(
  host: string,
  fields: { requested_role?: string; requested_lifetime?: number; reason?: string } = {},
  fetchImpl?: typeof fetch,
): Promise<DeviceAuthorization> {
  const form: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) form[k] = String(v);
  return postForm<DeviceAuthorization>(host, "/v1/oauth/device_authorization", form, fetchImpl);
}

/**
 * Polls the token endpoint until the request is approved (the token), denied or expired (OAuthError), honouring the
 * interval and slowing down by 5 seconds whenever the server says `slow_down` (RFC 8628 section 3.5).
 */
export async function pollDeviceToken(
  host: string,
  started: Pick<DeviceAuthorization, "device_code" | "interval" | "expires_in">,
  options: { signal?: AbortSignal; fetch?: typeof fetch; sleep?: (ms: number, signal?: AbortSignal) => Promise<void> } = {},
): Promise<OAuthToken> {
  const sleep =
    options.sleep ??
    ((ms: number, signal?: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, ms);
        signal?.addEventListener("abort", () => {
          clearTimeout(timer);
          reject(new Error("aborted"));
        });
      }));
  let interval = Math.max(1, started.interval);
  const deadline = Date.now() + started.expires_in * 1000;
  for (;;) {
    await sleep(interval * 1000, options.signal);
    if (options.signal?.aborted) throw new Error("aborted");
    try {
      return await postForm<OAuthToken>(
        host,
        "/v1/oauth/token",
        { grant_type: GRANT_DEVICE_CODE, device_code: started.device_code },
        options.fetch,
      );
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      if (error.error === "slow_down") interval += 5;
      else if (error.error !== "authorization_pending") throw error;
      if (Date.now() > deadline) throw new OAuthError("expired_token", "the device request expired", 400);
    }
  }
}

/** Exchanges an OIDC ID token (a CI job's) for a Latchkey token under a trust policy (RFC 8693). */
export function exchangeIdToken(host: string, idToken: string, fetchImpl?: typeof fetch): Promise<OAuthToken> {
  return postForm<OAuthToken>(
    host,
    "/v1/oauth/token",
    { grant_type: GRANT_TOKEN_EXCHANGE, subject_token: idToken, subject_token_type: TOKEN_TYPE_ID_TOKEN },
    fetchImpl,
  );
}
