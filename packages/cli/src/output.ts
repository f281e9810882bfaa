import { stringify } from "yaml";
import { UsageError } from "./failure.js";
import { humanTime, isIsoTime } from "./human-time.js";

/** How results are printed. */
export type OutputFormat = "table" | "json" | "yaml";

/** A column of a table: its heading and how to read it from a row. */
export type Column<T> = [heading: string, read: (row: T) => unknown];

/**
 * How a table is shown: on a terminal, times relative to now ("in 30 days") and colour; piped, or with `-o json|yaml`,
 * plain and exact (ISO times), so that scripts read what the API said.
 */
export interface Style {
  human: boolean;
  colour: boolean;
  nowMs: number;
}

export const PLAIN: Style = { human: false, colour: false, nowMs: 0 };

const FORMATS: readonly OutputFormat[] = ["table", "json", "yaml"];

/** Checks `--output`. */
export function outputFormat(value: string | undefined): OutputFormat {
  const format = (value ?? "table") as OutputFormat;
  if (!FORMATS.includes(format)) throw new UsageError(`--output must be one of ${FORMATS.join(", ")}`);
  return format;
}

/** One table cell: "-" for nothing, JSON for objects; an ISO time relative to now on a terminal. */
export const cell = (value: unknown, style: Style = PLAIN): string => {
  if (value === null || value === undefined || value === "") return "-";
  if (typeof value === "string") return style.human && isIsoTime(value) ? humanTime(value, style.nowMs) : value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
};

const ANSI = { bold: "\u001b[1m", red: "\u001b[31m", green: "\u001b[32m", yellow: "\u001b[33m", dim: "\u001b[2m", reset: "\u001b[0m" };
const TONE: Record<string, string> = {
  active: ANSI.green,
  allowed: ANSI.green,
  revoked: ANSI.red,
  denied: ANSI.red,
  failed: ANSI.red,
  expired: ANSI.yellow,
  never: ANSI.dim,
  "-": ANSI.dim,
};
const paint = (text: string, tone: string | undefined, style: Style) => (style.colour && tone ? `${tone}${text}${ANSI.reset}` : text);

/** Lines of a text table, columns padded to their widest cell (colour, when on, added after the padding). */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[], header = true, style: Style = PLAIN): string {
  const body = rows.map((row) => columns.map(([, read]) => cell(read(row), style)));
  const cells = [...(header ? [columns.map(([h]) => h)] : []), ...body];
  const widths = columns.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return (
    cells
      .map((r, line) =>
        r
          .map((c, i) => {
            const padded = i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0);
            const tone = header && line === 0 ? ANSI.bold : TONE[c.split(" ")[0] ?? ""];
            return paint(padded, tone, style);
          })
          .join("  "),
      )
      .join("\n") + "\n"
  );
}

/** Renders a result: the raw data for json and yaml, the given columns (or key/value lines) for a table. */
export function render<T>(format: OutputFormat, data: T | readonly T[], columns?: readonly Column<T>[], style: Style = PLAIN): string {
  if (format === "json") return `${JSON.stringify(data, null, 2)}\n`;
  if (format === "yaml") return stringify(data);
  if (Array.isArray(data)) {
    const rows = data as readonly T[];
    if (rows.length === 0) return "(none)\n";
    return table(
      rows,
      columns ?? (Object.keys(rows[0] as object).map((k) => [k, (r: T) => (r as Record<string, unknown>)[k]]) as Column<T>[]),
      true,
      style,
    );
  }
  const entries = columns ? columns.map(([h, read]) => [h, read(data as T)] as const) : Object.entries(data as object);
  return table(
    entries,
    [
      ["FIELD", (e) => e[0]],
      ["VALUE", (e) => e[1]],
    ],
    false,
    style,
  );
}
