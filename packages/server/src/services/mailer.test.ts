import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../test-support/databases.js";
import { startHarness, type Harness } from "../test-support/harness.js";

// The two ways an invitation reaches its address for real: a real SMTP server process on loopback (the smtp-server
// package), and, without SMTP, the server's log, which only the operator reads.

interface Received {
  to: string[];
  raw: string;
}

/** A local SMTP server that keeps every message it is given. */
async function startSmtp(): Promise<{ port: number; messages: Received[]; close(): Promise<void> }> {
  const messages: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        messages.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString("utf8") });
        callback();
      });
    },
  });
  server.listen(0, "127.0.0.1");
  await once(server.server, "listening");
  const port = (server.server.address() as AddressInfo).port;
  return { port, messages, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** The `/invite?confirm=` secret in a message (quoted-printable may fold long lines with `=\r\n`). */
const confirmIn = (text: string): string | undefined =>
  /\/invite\?confirm=([A-Za-z0-9_-]+)/.exec(text.replace(/=\r?\n/g, "").replace(/=3D/g, "="))?.[1];

describe.each(dialects())("invitation e-mail on %s", (kind) => {
  describe("through a real SMTP server", () => {
    let smtp: Awaited<ReturnType<typeof startSmtp>>;
    let h: Harness;
    beforeAll(async () => {
      smtp = await startSmtp();
      h = await startHarness(
        kind,
        { LATCHKEY_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, LATCHKEY_MAIL_FROM: "Latchkey <noreply@latchkey.test>" },
        { configuredMailer: true },
      );
      await h.owner.ok("POST", "/v1/teams", { name: "Mailed" });
    });
    afterAll(async () => {
      await h.close();
      await smtp.close();
    });

    it("sends the invited address its link, which creates the account; the inviter's reply says it was sent", async () => {
      const reply = await h.owner.ok<{ invitation: { mail: string; inviteUrl: string } }>("POST", "/v1/teams/mailed/members", {
        email: "new.person@example.com",
        roles: ["default"],
      });
      expect(reply.invitation.mail).toBe("sent");
      const message = smtp.messages.find((m) => m.to.includes("new.person@example.com"));
      expect(message?.raw).toContain("From: Latchkey <noreply@latchkey.test>");
      expect(message?.raw).toMatch(/Subject: Join the team Mailed on Latchkey/);
      const token = confirmIn(message?.raw ?? "");
      expect(token).toBeDefined();
      // The mail's link is not the one the inviter holds.
      expect(reply.invitation.inviteUrl).not.toContain(token ?? "-");
      const joined = await h.anon.post("/v1/invitations/confirm", { token, name: "New Person", password: "my own password here" });
      expect(joined.status, joined.raw).toBe(200);
      expect((await h.anon.post("/v1/session", { email: "new.person@example.com", password: "my own password here" })).status).toBe(200);
    });

    it("an SMTP server that refuses the message: the invitation stands and the reply says the mail failed", async () => {
      await smtp.close();
      const reply = await h.owner.ok<{ invitation: { id: string; mail: string } }>("POST", "/v1/teams/mailed/members", {
        email: "unlucky@example.com",
        roles: ["default"],
      });
      expect(reply.invitation.mail).toBe("failed");
      const pending = await h.owner.ok<{ invitations: { id: string }[] }>("GET", "/v1/teams/mailed/invitations");
      expect(pending.invitations.map((i) => i.id)).toContain(reply.invitation.id);
    });
  });

  describe("without SMTP: the log, for the operator", () => {
    const log: string[] = [];
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness(kind, {}, { configuredMailer: true, logStream: { write: (line) => void log.push(line) } });
      await h.owner.ok("POST", "/v1/teams", { name: "Logged" });
    });
    afterAll(() => h.close());

    it("writes the message to the log (never into a reply), and its link works", async () => {
      const reply = await h.owner.post("/v1/teams/logged/members", { email: "logged@example.com", roles: ["default"] });
      expect((reply.body.data as { invitation: { mail: string } }).invitation.mail).toBe("logged");
      const line = log.find((l) => l.includes("logged@example.com") && l.includes("/invite?confirm="));
      expect(line).toBeDefined();
      const entry = JSON.parse(line ?? "{}") as { level: number; mailTo: string; msg: string };
      expect(entry).toMatchObject({ level: 40, mailTo: "logged@example.com" });
      expect(entry.msg).toContain("No SMTP server is configured");
      const token = confirmIn(entry.msg) ?? "";
      expect(reply.raw).not.toContain(token);
      expect((await h.anon.post("/v1/invitations/confirm", { token, name: "Logged", password: "my own password here" })).status).toBe(200);
    });
  });
});
