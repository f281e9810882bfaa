import nodemailer from "nodemailer";
import type { Config } from "../config.js";

/** One plain-text message. */
export interface Mail {
  to: string;
  subject: string;
  text: string;
}

/**
 * Where Latchkey's e-mail goes: an SMTP server, or (without one) the server's log, read by the operator alone. A
 * message may carry a secret link that proves the address it is sent to, so it goes nowhere else: never into a reply.
 */
export interface Mailer {
  /** "smtp" when messages reach their addresses; "log" when the operator must pass them on. */
  readonly delivery: "smtp" | "log";
  send(mail: Mail): Promise<void>;
  close(): void;
}

/**
 * Sends through the SMTP server of `LATCHKEY_SMTP_URL` (nodemailer). An invitation's reply waits for its message, so
 * a server that does not answer is given seconds, not nodemailer's default minutes.
 */
function createSmtpMailer(mail: { smtpUrl: string; from: string }): Mailer {
  const transport = nodemailer.createTransport(
    { url: mail.smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 },
    { from: mail.from },
  );
  return {
    delivery: "smtp",
    async send(message) {
      await transport.sendMail({ from: mail.from, to: message.to, subject: message.subject, text: message.text });
    },
    close: () => transport.close(),
  };
}

/**
 * Without SMTP: each message is one log line at `warn`, addressed to the operator. Only who can read the server's log
 * (the operator) can pass a confirmation link on, so nobody proves an address they do not own (README: "E-mail").
 */
function createLogMailer(write: (fields: { mailTo: string; subject: string }, text: string) => void): Mailer {
  return {
    delivery: "log",
    send(message) {
      write(
        { mailTo: message.to, subject: message.subject },
        `No SMTP server is configured (LATCHKEY_SMTP_URL): pass this message on to ${message.to} yourself.\n${message.text}`,
      );
      return Promise.resolve();
    },
    close: () => undefined,
  };
}

/** The mailer the configuration asks for. */
export function createMailer(config: Config, log: (fields: { mailTo: string; subject: string }, text: string) => void): Mailer {
  return config.mail.smtpUrl ? createSmtpMailer({ smtpUrl: config.mail.smtpUrl, from: config.mail.from }) : createLogMailer(log);
}
