import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { isIP } from "node:net";
import { hostOf, publicAddresses } from "./webhook-urls.js";

/** What one attempt came to: a status code, or the error that stopped it. */
export interface SendResult {
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

export interface SendOptions {
  timeoutMs: number;
  /** The most of the receiver's reply that is read; the rest is cut off (a receiver cannot make us buffer much). */
  maxResponseBytes: number;
  allowPrivate: boolean;
}

/**
 * Resolves the host at connection time and connects only to addresses checked to be public: the address checked is
 * the address used, so a DNS answer that changes between check and connect (rebinding) gains nothing.
 */
const publicLookup: LookupFunction = (hostname, options, callback) => {
  publicAddresses(hostname).then(
    (addresses) => {
      if (options.all) callback(null, addresses);
      else {
        const first = addresses.find((a) => !options.family || a.family === options.family) ?? addresses[0];
        if (!first) callback(new Error(`${hostname} has no address`), "", 4);
        else callback(null, first.address, first.family);
      }
    },
    (error: Error) => callback(error, "", 4),
  );
};

/** POSTs one webhook message; never throws, never follows redirects, never waits past the timeout. */
export async function sendWebhook(url: string, headers: Record<string, string>, body: string, options: SendOptions): Promise<SendResult> {
  const started = performance.now();
  const done = (statusCode: number | null, error: string | null): SendResult => ({
    statusCode,
    error,
    durationMs: Math.round(performance.now() - started),
  });
  let target: URL;
  try {
    target = new URL(url);
    // A literal address needs no lookup, so it is checked here.
    if (!options.allowPrivate && isIP(hostOf(target))) await publicAddresses(hostOf(target));
  } catch (error) {
    return done(null, (error as Error).message.slice(0, 300));
  }
  const client = target.protocol === "https:" ? https : http;
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const finish = (statusCode: number | null, error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(done(statusCode, error));
    };
    const request = client.request(
      target,
      {
        method: "POST",
        headers: {
          ...headers,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          "user-agent": "Latchkey-Webhooks",
        },
        agent: false,
        ...(options.allowPrivate ? {} : { lookup: publicLookup }),
      },
      (response) => {
        let read = 0;
        response.on("data", (chunk: Buffer) => {
          read += chunk.length;
          if (read > options.maxResponseBytes) {
            finish(response.statusCode ?? null, null);
            response.destroy();
          }
        });
        response.on("end", () => finish(response.statusCode ?? null, null));
        response.on("error", () => finish(response.statusCode ?? null, null));
      },
    );
    const timer = setTimeout(() => {
      finish(null, `no reply within ${options.timeoutMs} ms`);
      request.destroy();
    }, options.timeoutMs);
    request.on("error", (error) => finish(null, error.message.slice(0, 300)));
    request.end(body);
  });
}
