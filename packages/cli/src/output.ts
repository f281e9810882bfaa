import { stringify } from "yaml";
import { UsageError } from "./failure.js";

/** How results are printed. */
export type OutputFormat = "table" | "json" | "yaml";

/** A column of a table: its heading and how to read it from a row. */
export type Column<T> = [heading: string, read: (row: T) => unknown];

const FORMATS: readonly OutputFormat[] = ["table", "json", "yaml"];

/** Checks `--output`. */
export function outputFormat(value: string | undefined): OutputFormat {
  const format = (value ?? "table") as OutputFormat;
  if (!FORMATS.includes(format)) throw new UsageError(`--output must be one of ${FORMATS.join(", ")}`);
  return format;
}

/** One table cell: "-" for nothing, JSON for objects. */
export const cell = (value: unknown): string => {
  if (value === null || value === undefined || value === "") return "-";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
};

/** Lines of a plain text table, columns padded to their widest cell. */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[], header = true): string {
  const cells = [...(header ? [columns.map(([h]) => h)] : []), ...rows.map((row) => columns.map(([, read]) => cell(read(row))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ")).join("\n") + "\n";
}

/** Renders a result: the raw data for json and yaml, the given columns (or key/value lines) for a table. */
export function render<T>(format: OutputFormat, data: T | readonly T[], columns?: readonly Column<T>[]): string {
  if (format === "json") return `${JSON.stringify(data, null, 2)}\n`;
  if (format === "yaml") return stringify(data);
  if (Array.isArray(data)) {
    const rows = data as readonly T[];
    if (rows.length === 0) return "(none)\n";
    return table(
      rows,
      columns ?? (Object.keys(rows[0] as object).map((k) => [k, (r: T) => (r as Record<string, unknown>)[k]]) as Column<T>[]),
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
  );
}
