import type { WebSocket } from "ws";

/** A login protocol message as tests read it. */
export interface SocketMessage {
  type: string;
  loginPage?: string;
  apiToken?: string;
  contextName?: string;
  message?: string;
  retryAfterSeconds?: number;
}

/** Reads a WebSocket's messages in order and its close code, with deadlines instead of sleeps. */
export function readSocket(ws: WebSocket) {
  const queue: SocketMessage[] = [];
  const waiting: ((m: SocketMessage) => void)[] = [];
  let closeCode: number | null = null;
  let closeReason = "";
  const closed = new Promise<number>((resolve) =>
    ws.on("close", (code, reason) => {
      closeCode = code;
      closeReason = reason.toString("utf8");
      resolve(code);
    }),
  );
  ws.on("message", (data) => {
    const message = JSON.parse(Buffer.from(data as Buffer).toString("utf8")) as SocketMessage;
    const waiter = waiting.shift();
    if (waiter) waiter(message);
    else queue.push(message);
  });
  const deadline = <T>(promise: Promise<T>, ms: number, what: string) =>
    Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms))]);
  return {
    next: (ms = 5000): Promise<SocketMessage> => {
      const queued = queue.shift();
      return queued ? Promise.resolve(queued) : deadline(new Promise<SocketMessage>((resolve) => waiting.push(resolve)), ms, "message");
    },
    closed: (ms = 5000) => deadline(closed, ms, "close"),
    closeCode: () => closeCode,
    closeReason: () => closeReason,
    pending: () => queue.length,
  };
}

/** The session token inside an init-ack's login page. */
export function sessionTokenOf(loginPage: string | undefined): string {
  const token = new URL(loginPage ?? "").searchParams.get("sessionToken");
  if (!token) throw new Error(`no sessionToken in ${loginPage}`);
  return token;
}
