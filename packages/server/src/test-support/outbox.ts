import type { Mail, Mailer } from "../services/mailer.js";

/**
 * An outbox in memory, for in-process suites: what an SMTP server would have delivered. The SMTP path itself is
 * tested against a real SMTP server (services/mailer.test.ts).
 */
export interface Outbox extends Mailer {
  messages: Mail[];
  /** The secret of the newest invitation link sent to `email` (`/invite?confirm=...`); throws when there is none. */
  confirmTokenFor(email: string): string;
}

export function createOutbox(): Outbox {
  const messages: Mail[] = [];
  return {
    delivery: "smtp",
    messages,
    send(mail) {
      messages.push(mail);
      return Promise.resolve();
    },
    close: () => undefined,
    confirmTokenFor(email) {
      const mail = messages.findLast((m) => m.to === email && m.text.includes("/invite?confirm="));
      const token = mail ? /\/invite\?confirm=([A-Za-z0-9_-]+)/.exec(mail.text)?.[1] : undefined;
      if (!token) throw new Error(`no invitation link was sent to ${email}`);
      return token;
    },
  };
}
