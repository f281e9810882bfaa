/**
 * A real SMTP server in the test process (smtp-server), on 127.0.0.1: the Latchkey processes under test are given
 * `LATCHKEY_SMTP_URL=smtp://127.0.0.1:<port>` and the tests read what they sent.
 */
import { SMTPServer } from "smtp-server";
import { waitFor } from "./support.js";

/** One message as delivered: envelope recipients and the raw RFC 5322 text, its body decoded. */
export interface ReceivedMail {
  to: string[];
  raw: string;
  /** The body, quoted-printable decoded when the message says it is (nodemailer folds long lines that way). */
  text: string;
}

export interface Inbox {
  /** `smtp://127.0.0.1:<port>` */
  url: string;
  messages: ReceivedMail[];
  /** The newest message to `address` that matches `pattern`, waited for (polling, with a deadline). */
  next(address: string, pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  close(): Promise<void>;
}

const MAX_MESSAGE = 256 * 1024;

function decodeBody(raw: string): string {
  const split = raw.indexOf("\r\n\r\n");
  const head = split < 0 ? "" : raw.slice(0, split);
  const body = split < 0 ? raw : raw.slice(split + 4);
  if (!/^content-transfer-encoding:\s*quoted-printable/im.test(head)) return body;
  const bytes = body.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, "latin1").toString("utf8");
}

/** Starts the SMTP server on a free port of 127.0.0.1: no TLS, no authentication (loopback only). */
export async function startInbox(): Promise<Inbox> {
  const messages: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    size: MAX_MESSAGE,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        messages.push({ to: session.envelope.rcptTo.map((r) => r.address), raw, text: decodeBody(raw) });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    async next(to, pattern, timeoutMs = 10_000) {
      const find = () => messages.findLast((m) => m.to.includes(to) && pattern.test(m.text))?.text.match(pattern) ?? null;
      const found = await waitFor(
        () => Promise.resolve(find()),
        (m) => m !== null,
        { timeoutMs, intervalMs: 50 },
      );
      if (!found.value)
        throw new Error(`no mail to ${to} matching ${String(pattern)} within ${timeoutMs} ms (${messages.length} received)`);
      return found.value;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
