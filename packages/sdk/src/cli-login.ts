import type * as core from "@latchkey/core";

// The messages are core's schemas (the server documents and sends the same); only their types are used here, so
// that the console's bundle, which holds this module too, carries no schema code.

/** What the server sends on the `/v1/cli-login` WebSocket (Northflank's CLI login protocol). */
export type CliLoginServerMessage = core.CliLoginServerMessage;

/** What the client sends: `init` to start, `aborted` to give up. */
export type CliLoginClientMessage = core.CliLoginClientMessage;
const CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/**
 * A pairing code to show in the terminal and send with `init`: two groups of four from an alphabet without look-alikes
 * (no 0/O, 1/I), about 40 bits: enough that a link someone else started cannot show the code on your screen.
 */
export function newPairingCode(): string {
  const bytes = new Uint8Array(8);
  globalThis.crypto.getRandomValues(bytes);
  const chars = Array.from(bytes, (b) => CODE_ALPHABET[b % CODE_ALPHABET.length]).join("");
  return `${chars.slice(0, 4)}-${chars.slice(4)}`;
}

/** The WebSocket URL of the CLI login for a host: ws:// for http hosts, wss:// for https. */
export function cliLoginUrl(host: string): string {
  const url = new URL(`${host.replace(/\/+$/, "")}/v1/cli-login`);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

/** Parses a server frame (text, or bytes holding JSON); null when it is not a message of the protocol. */
export function parseCliLoginMessage(text: string): CliLoginServerMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!value || typeof value !== "object") return null;
  const m = value as Record<string, unknown>;
  if (m["type"] === "init-ack" && typeof m["loginPage"] === "string") return { type: "init-ack", loginPage: m["loginPage"] };
  if (m["type"] === "login-success" && typeof m["apiToken"] === "string") {
    return { type: "login-success", apiToken: m["apiToken"], contextName: typeof m["contextName"] === "string" ? m["contextName"] : "" };
  }
  if (m["type"] === "login-failure")
    return { type: "login-failure", message: typeof m["message"] === "string" ? m["message"] : "login failed" };
  return null;
}
