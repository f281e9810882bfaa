import type { FastifyBaseLogger } from "fastify";
import type { RawData, WebSocket } from "ws";
import type { CliLoginOutcome, CliLoginService } from "../services/cli-logins.js";

/** The largest frame a CLI may send; the protocol's messages are a few dozen bytes. */
export const MAX_FRAME_BYTES = 4096;
/** A socket that has not said `init` by then is closed. */
const INIT_TIMEOUT_MS = 10_000;
/** More messages than this from one socket is abuse: the protocol needs two at most. */
const MAX_MESSAGES = 8;
/** Open login sockets per process and per address (idle ones are closed after INIT_TIMEOUT_MS). */
const MAX_SOCKETS = 1000;
const MAX_SOCKETS_PER_IP = 20;

type ServerMessage = { type: "init-ack"; loginPage: string } | CliLoginOutcome;

const textOf = (data: RawData): string =>
  (Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)).toString("utf8");

/** The message type of a frame holding JSON (text or binary), or null when it is not one. */
function typeOf(data: RawData): string | null {
  try {
    const value = JSON.parse(textOf(data)) as unknown;
    return value && typeof value === "object" && "type" in value && typeof value.type === "string" ? value.type : null;
  } catch {
    return null;
  }
}

/**
 * Speaks the CLI login protocol on one socket: `init` -> `init-ack` with the login page, then `login-success` or
 * `login-failure` and close. Only this socket ever learns its session token's outcome.
 */
export function createCliLoginSockets(deps: { cliLogins: CliLoginService; publicUrl: string; log: FastifyBaseLogger }) {
  const { cliLogins, publicUrl, log } = deps;
  const socketsByIp = new Map<string, number>();
  let sockets = 0;

  return function handle(socket: WebSocket, ip: string): void {
    let messages = 0;
    let state: "new" | "starting" | "waiting" | "done" = "new";
    let login: { sessionToken: string; idHash: string } | null = null;
    let stopWatching: () => void = () => undefined;
    let expiry: NodeJS.Timeout | undefined;
    let checking = false;
    let recheck = false;

    const send = (message: ServerMessage) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
    };
    const finish = (outcome: CliLoginOutcome | null, code = 1000, reason = "") => {
      if (state === "done") return;
      state = "done";
      clearTimeout(initTimer);
      clearTimeout(expiry);
      stopWatching();
      sockets--;
      const n = (socketsByIp.get(ip) ?? 1) - 1;
      if (n > 0) socketsByIp.set(ip, n);
      else socketsByIp.delete(ip);
      if (outcome) send(outcome);
      if (login && outcome?.type !== "login-success") {
        void cliLogins.cancel(login.idHash).catch((error: unknown) => log.warn({ err: error }, "could not cancel a CLI login"));
      }
      socket.close(code, reason);
    };

    const check = async (): Promise<void> => {
      if (state !== "waiting" || !login) return;
      // A wake-up during a check may announce what that check read too early: look once more afterwards.
      if (checking) {
        recheck = true;
        return;
      }
      checking = true;
      try {
        const outcome = await cliLogins.outcome(login.sessionToken);
        if (outcome) finish(outcome);
      } catch (error) {
        log.error({ err: error }, "CLI login outcome failed");
        finish({ type: "login-failure", message: "the server could not complete the login" }, 1011);
      } finally {
        checking = false;
      }
      if (recheck) {
        recheck = false;
        await check();
      }
    };

    const start = async () => {
      state = "starting";
      const started = await cliLogins.start();
      if (state !== "starting") {
        await cliLogins.cancel(started.idHash);
        return;
      }
      login = started;
      state = "waiting";
      clearTimeout(initTimer);
      stopWatching = cliLogins.watch(started.idHash, () => void check());
      expiry = setTimeout(() => finish({ type: "login-failure", message: "the login session expired" }), started.expiresInMs);
      const page = `${publicUrl}/cli-login?sessionToken=${encodeURIComponent(started.sessionToken)}`;
      send({ type: "init-ack", loginPage: page });
    };

    const initTimer = setTimeout(() => finish(null, 1008, "init expected"), INIT_TIMEOUT_MS);
    sockets++;
    socketsByIp.set(ip, (socketsByIp.get(ip) ?? 0) + 1);
    if (sockets > MAX_SOCKETS || (socketsByIp.get(ip) ?? 0) > MAX_SOCKETS_PER_IP) {
      finish({ type: "login-failure", message: "too many logins are waiting; try again later" }, 1013);
      return;
    }

    socket.on("message", (data) => {
      if (++messages > MAX_MESSAGES) return finish(null, 1008, "too many messages");
      const type = typeOf(data);
      if (type === "init" && state === "new") {
        start().catch((error: unknown) => {
          log.error({ err: error }, "CLI login start failed");
          finish({ type: "login-failure", message: "the server could not start a login" }, 1011);
        });
      } else if (type === "aborted") finish(null, 1000, "aborted");
      else if (type === null) finish(null, 1003, "messages are JSON objects with a type");
      // Any other message (a repeated init) is ignored: one login per socket.
    });
    socket.on("close", () => finish(null));
    socket.on("error", () => finish(null));
  };
}
