import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { logFormatFor, prettyLines, type LogFormatSetting } from "./log-format.js";

describe("log format", () => {
  it.each<[LogFormatSetting, boolean, "json" | "pretty"]>([
    ["auto", true, "pretty"],
    ["auto", false, "json"],
    ["json", true, "json"],
    ["json", false, "json"],
    ["pretty", true, "pretty"],
    ["pretty", false, "pretty"],
  ])("LATCHKEY_LOG_FORMAT=%s with stdout a terminal: %s -> %s", (setting, tty, format) => {
    expect(logFormatFor(setting, tty)).toBe(format);
  });

  it("turns each JSON line into one readable line: an access line reads as method, path, status and time", () => {
    let out = "";
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        out += chunk.toString();
        done();
      },
    });
    const log = pino({ level: "info" }, prettyLines(sink, false));
    log.info({ reqId: "req_1", method: "GET", url: "/v1/teams", status: 200, ms: 1.2, tokenId: "tok_1" }, "request");
    log.warn({ mailTo: "ada@example.com", subject: "Join acme" }, "e-mail not sent: no SMTP server\nline two");
    log.info("Latchkey is listening on http://127.0.0.1:8080");
    const lines = out.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: GET \/v1\/teams 200 1\.2 ms \{"reqId":"req_1","tokenId":"tok_1"\}$/);
    expect(lines[1]).toContain("WARN: e-mail not sent: no SMTP server\\nline two");
    expect(lines[1]).toContain('{"mailTo":"ada@example.com","subject":"Join acme"}');
    expect(lines[2]).toMatch(/INFO: Latchkey is listening on http:\/\/127\.0\.0\.1:8080$/);
    expect(out).not.toContain('"pid"');
  });
});
