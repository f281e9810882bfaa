import { cliLoginUrl, newPairingCode, parseCliLoginMessage, TransportError } from "@latchkey/sdk";
import WebSocket from "ws";
import { Cancelled } from "./failure.js";

/** The CLI login refused or ended without a token. */
export class LoginFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LoginFailed";
  }
}

/**
 * Runs the browser login on `/v1/cli-login`: sends init, reports the login page, and resolves with the token once the
 * person approves. Ctrl-C (or `signal`) sends `aborted` and gives up.
 */
export function browserLogin(
  host: string,
  onLoginPage: (url: string, pairingCode: string) => void,
  signal?: AbortSignal,
): Promise<{ apiToken: string; contextName: string }> {
  // Shown here and on the approval page: the person approves only when both show the same code.
  const code = newPairingCode();
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(cliLoginUrl(host), { handshakeTimeout: 10_000, maxPayload: 64 * 1024 });
    let settled = false;
    const settle = (error: Error | null, value?: { apiToken: string; contextName: string }) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", abort);
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000);
      if (error) reject(error);
      else if (value) resolve(value);
    };
    const abort = () => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "aborted" }));
      settle(new Cancelled("login aborted"));
    };
    signal?.addEventListener("abort", abort, { once: true });

    ws.on("open", () => ws.send(JSON.stringify({ type: "init", code })));
    ws.on("message", (data: WebSocket.RawData) => {
      const message = parseCliLoginMessage(
        Buffer.isBuffer(data) ? data.toString("utf8") : Buffer.from(data as ArrayBuffer).toString("utf8"),
      );
      if (!message) return;
      if (message.type === "init-ack") onLoginPage(message.loginPage, code);
      else if (message.type === "login-success") settle(null, { apiToken: message.apiToken, contextName: message.contextName });
      else settle(new LoginFailed(`login failed: ${message.message}`));
    });
    ws.on("error", (error) => settle(new TransportError(`cannot reach ${host} for the login: ${error.message}`, { cause: error })));
    ws.on("close", (code, reason) =>
      settle(new LoginFailed(`the server ended the login (${code}${reason.length ? ` ${reason.toString()}` : ""})`)),
    );
  });
}
