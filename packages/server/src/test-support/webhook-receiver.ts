import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { Webhook } from "standardwebhooks";

/** A message the receiver got, with whether its signature verified under the secret it was given. */
export interface Received {
  id: string;
  headers: Record<string, string>;
  body: { type: string; timestamp: string; data: Record<string, unknown> };
  raw: string;
  verified: boolean;
  at: number;
}

/**
 * A real local HTTP receiver. Every message is verified with the `standardwebhooks` package under `secret` (set once
 * the webhook exists). `respond` decides the reply: a status code, or "hang" (no answer until `release`).
 */
export async function startReceiver() {
  const received: Received[] = [];
  const sockets = new Set<Socket>();
  const waiters: (() => void)[] = [];
  const hung: ServerResponse[] = [];
  const state = { secret: "", respond: (): number | "hang" => 204 };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      let verified = false;
      try {
        new Webhook(state.secret).verify(raw, headers);
        verified = true;
      } catch {
        verified = false;
      }
      received.push({ id: headers["webhook-id"] ?? "", headers, body: JSON.parse(raw) as Received["body"], raw, verified, at: Date.now() });
      for (const w of waiters.splice(0)) w();
      const reply = state.respond();
      if (reply === "hang") {
        hung.push(res);
        return;
      }
      res.statusCode = reply;
      res.end();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    received,
    state,
    /** Answers every request left hanging so far with `status`. */
    release(status = 204): void {
      for (const res of hung.splice(0)) {
        res.statusCode = status;
        res.end();
      }
    },
    /** Resolves once `count` messages matching `match` have arrived (or rejects after `ms`). */
    async waitFor(match: (r: Received) => boolean, count = 1, ms = 5000): Promise<Received[]> {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = received.filter(match);
        if (found.length >= count) return found;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${count} webhook message(s), got ${found.length}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.min(left, 200));
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
