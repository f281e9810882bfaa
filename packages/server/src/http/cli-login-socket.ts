import { CliLoginPairingCode } from "@latchkey/core";
import type { FastifyBaseLogger } from "fastify";
import type { RawData, WebSocket } from "ws";
import type { Config } from "../config.js";
import type { CliLoginServerMessage } from "@latchkey/core";
import type { CliLoginService } from "../services/cli-logins.js";
import { createLoginSlots, type Admission } from "./cli-login-slots.js";

/** The largest frame a CLI may send; the protocol's messages are a few dozen bytes. */
export const MAX_FRAME_BYTES = 4096;
/** More messages than this from one socket is abuse: the protocol needs two at most. */
const MAX_MESSAGES = 8;
/** RFC 6455 close code "Try Again Later": the server is busy, not the client wrong. */
const TRY_AGAIN_LATER = 1013;

/** A failure, which may tell the CLI when a retry may work (the field is extra: older clients read `message` only). */
type Failure = Extract<CliLoginServerMessage, { type: "login-failure" }>;
type ServerMessage = CliLoginServerMessage;

const DISPLACED: Failure = {
  type: "login-failure",
  message: "the server is busy: this login was ended to make room for newer ones; start it again",
};

/** The refusal of a socket that found no place, with the time until one should free (rounded up, at least 1 s). */
function busy(refusal: Extract<Admission, { admitted: false }>): Failure {
  const seconds = Math.max(1, Math.ceil(refusal.retryAfterMs / 1000));
  const where = refusal.reason === "address" ? "from your address" : "on this server";
  return {
    type: "login-failure",
    message: `the server is busy: too many CLI logins are waiting ${where}; try again in ${seconds} s`,
    retryAfterSeconds: seconds,
  };
}

const textOf = (data: RawData): string =>
  (Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)).toString("utf8");

/**
 * The message of a frame holding JSON (text or binary): its type and, on `init`, the optional pairing code the CLI
 * shows (undefined: none sent; null: one sent that is not a code); null when the frame is not a message.
 */
function messageOf(data: RawData): { type: string; code?: string | null } | null {
  try {
    const value = JSON.parse(textOf(data)) as unknown;
    if (!value || typeof value !== "object" || !("type" in value) || typeof value.type !== "string") return null;
    if (!("code" in value) || value.code === undefined) return { type: value.type };
    const code = CliLoginPairingCode.safeParse(value.code);
    return { type: value.type, code: code.success ? code.data : null };
  } catch {
    return null;
  }
}

/**
 * Speaks the CLI login protocol on one socket: `init` -> `init-ack` with the login page, then `login-success` or
 * `login-failure` and close. Only this socket ever learns its session token's outcome. Every socket holds a place in a
 * capped table from the moment it connects (cli-login-slots.ts); one that finds none is told when to retry.
 */
export function createCliLoginSockets(deps: {
  cliLogins: CliLoginService;
  publicUrl: string;
  log: FastifyBaseLogger;
  limits: Config["cliLoginLimits"];
  ms: () => number;
}) {
  const { cliLogins, publicUrl, log, limits, ms } = deps;
  const slots = createLoginSlots(limits, ms);

  return function handle(socket: WebSocket, ip: string): void {
    let messages = 0;
    let state: "new" | "starting" | "waiting" | "done" = "new";
    let login: { sessionToken: string; idHash: string } | null = null;
    let stopWatching: () => void = () => undefined;
    let expiry: NodeJS.Timeout | undefined;
    let checking = false;
    let recheck = false;

    // A function, so that checks after an await are not narrowed away by the compiler.
    const isDone = () => state === "done";
    const send = (message: ServerMessage) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
    };
    const finish = (outcome: ServerMessage | null, code = 1000, reason = "") => {
      if (state === "done") return;
      state = "done";
      clearTimeout(initTimer);
      clearTimeout(expiry);
      stopWatching();
      if (admission.admitted) slots.release(admission.slot);
      if (outcome) send(outcome);
      if (login && outcome?.type !== "login-success") {
        void cliLogins.cancel(login.idHash).catch((error: unknown) => log.warn({ err: error }, "could not cancel a CLI login"));
      }
      socket.close(code, reason);
    };

    /** A newer socket took this one's place: end, unless a person is approving this login right now. */
    const displace = async (): Promise<void> => {
      if (state === "waiting" && login) {
        let ended = true;
        try {
          ended = await cliLogins.displace(login.idHash);
        } catch (error) {
          log.warn({ err: error }, "could not end a displaced CLI login");
        }
        if (!ended) {
          // Its approval may also have ended the socket meanwhile; a socket still waiting takes its place back.
          if (!isDone() && admission.admitted) slots.restore(admission.slot);
          return;
        }
      }
      finish(DISPLACED, TRY_AGAIN_LATER, "displaced by newer logins");
    };

    const admission = slots.admit(ip, ms() + limits.initTimeoutMs, displace);
    if (!admission.admitted) {
      state = "done";
      const refusal = busy(admission);
      send(refusal);
      socket.close(TRY_AGAIN_LATER, `busy; retry in ${refusal.retryAfterSeconds ?? 1} s`);
      return;
    }
    const { slot, displaced } = admission;
    // A socket that never speaks holds its place only this long.
    const initTimer = setTimeout(() => finish(null, 1008, "init expected"), limits.initTimeoutMs);

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

    const start = async (pairingCode: string | null) => {
      state = "starting";
      // The login this socket displaced must be gone (or kept for its approval) first: rows never outnumber places.
      await displaced;
      if (state !== "starting") return;
      const started = await cliLogins.start(pairingCode);
      if (state !== "starting") {
        await cliLogins.cancel(started.idHash);
        return;
      }
      login = started;
      state = "waiting";
      clearTimeout(initTimer);
      slot.freesAt = ms() + started.expiresInMs;
      stopWatching = cliLogins.watch(started.idHash, () => void check());
      expiry = setTimeout(() => finish({ type: "login-failure", message: "the login session expired" }), started.expiresInMs);
      const page = `${publicUrl}/cli-login?sessionToken=${encodeURIComponent(started.sessionToken)}`;
      send({ type: "init-ack", loginPage: page });
    };

    socket.on("message", (data) => {
      if (++messages > MAX_MESSAGES) return finish(null, 1008, "too many messages");
      const message = messageOf(data);
      const type = message?.type ?? null;
      if (type === "init" && state === "new") {
        if (message?.code === null) {
          return finish({ type: "login-failure", message: "the pairing code must be 4 to 16 letters and digits (like ABCD-2345)" }, 1008);
        }
        start(message?.code ?? null).catch((error: unknown) => {
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
