import { PinoPretty } from "pino-pretty";
import { createLineWriter } from "./line-writer.js";

/** `LATCHKEY_LOG_FORMAT`: `auto` (the default) is pretty on a terminal and JSON lines everywhere else. */
export type LogFormatSetting = "auto" | "json" | "pretty";

/**
 * How the log is written: single pretty lines for a person at a terminal, JSON lines for whatever reads stdout
 * otherwise (a file, a pipe, a log collector). `pretty` and `json` force one or the other.
 */
export function logFormatFor(setting: LogFormatSetting, stdoutIsTty: boolean): "json" | "pretty" {
  if (setting !== "auto") return setting;
  return stdoutIsTty ? "pretty" : "json";
}

/** The fields of an access line (http/access-log.ts), which the pretty line shows as its message. */
const ACCESS_FIELDS = ["method", "url", "status", "ms"] as const;

/** `GET /v1/teams 200 1.2 ms` for an access line; any other line's own message, its line breaks written as `\n`. */
function message(line: Record<string, unknown>, messageKey: string): string {
  if (line[messageKey] === "request" && ACCESS_FIELDS.every((field) => line[field] !== undefined))
    return `${String(line["method"])} ${String(line["url"])} ${String(line["status"])} ${String(line["ms"])} ms`;
  const text = line[messageKey];
  return (typeof text === "string" ? text : (JSON.stringify(text) ?? "")).replace(/\r?\n/g, "\\n");
}

/** Where log lines go, and how to wait for what is still buffered when the server closes. */
export interface LogDestination {
  stream: { write(line: string): unknown };
  end(): Promise<void>;
}

/**
 * Stdout in the chosen format. JSON: written asynchronously by lib/line-writer.ts (lines that arrive while a write
 * is under way go out together in the next one: fewer system calls under load), drained on close. Pretty: each JSON line is turned into
 * one readable line (time, level, message, the other fields) in this process, synchronously: only a person at a
 * terminal reads it, and the cost of formatting is theirs to choose, never the default of a server whose stdout is
 * not a terminal.
 */
export function stdoutLog(format: "json" | "pretty"): LogDestination {
  if (format === "json") {
    const stdout = createLineWriter(1);
    return { stream: stdout, end: () => stdout.end() };
  }
  return { stream: prettyLines(1), end: () => Promise.resolve() };
}

/**
 * JSON log lines in, one readable line out each: `[12:00:00.123] INFO: GET /v1/teams 200 1.2 ms {"reqId":"req_…"}`.
 * Colours when the destination supports them (pino-pretty decides), unless `colorize` says otherwise.
 */
export function prettyLines(destination: number | NodeJS.WritableStream, colorize?: boolean): { write(line: string): void } {
  return PinoPretty({
    destination,
    sync: true,
    singleLine: true,
    translateTime: "SYS:HH:MM:ss.l",
    ignore: ["pid", "hostname", ...ACCESS_FIELDS].join(","),
    messageFormat: message,
    ...(colorize === undefined ? {} : { colorize }),
  });
}
