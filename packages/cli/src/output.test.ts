import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { configPath, readContexts, writeContexts } from "./contexts.js";
import { timeFrom } from "./durations.js";
import { UsageError } from "./failure.js";
import { outputFormat, render } from "./output.js";

const rows = [
  { id: "web", name: "Web", nested: { a: 1 } },
  { id: "api-gateway", name: "", nested: null },
];

describe("render", () => {
  it("pads table columns and shows nothing as '-' and objects as JSON", () => {
    const text = render("table", rows, [
      ["ID", (r) => r.id],
      ["NAME", (r) => r.name],
      ["NESTED", (r) => r.nested],
    ]);
    expect(text).toBe('ID           NAME  NESTED\nweb          Web   {"a":1}\napi-gateway  -     -\n');
  });

  it("prints json and yaml as the data itself", () => {
    expect(JSON.parse(render("json", rows))).toEqual(rows);
    expect(parse(render("yaml", rows))).toEqual(rows);
  });

  it("prints one object as field/value lines, and an empty list as (none)", () => {
    expect(render("table", { id: "web", name: "Web" })).toBe("id    web\nname  Web\n");
    expect(render("table", [])).toBe("(none)\n");
  });

  it("accepts only table, json and yaml", () => {
    expect(outputFormat(undefined)).toBe("table");
    expect(() => outputFormat("xml")).toThrow(UsageError);
  });
});

describe("timeFrom", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  it.each([
    ["90d", "2026-04-01T00:00:00.000Z"],
    ["12h", "2026-01-01T12:00:00.000Z"],
    ["30m", "2026-01-01T00:30:00.000Z"],
    ["2w", "2026-01-15T00:00:00.000Z"],
    ["2027-01-01T00:00:00Z", "2027-01-01T00:00:00.000Z"],
  ])("%s", (value, expected) => expect(timeFrom(value, "--expires", now)).toBe(expected));

  it.each(["tomorrow", "10", "5y", ""])("refuses %j", (value) => expect(() => timeFrom(value, "--expires", now)).toThrow(/--expires/));
});

describe("contexts file", () => {
  it("lives under XDG_CONFIG_HOME, else ~/.config", () => {
    expect(configPath({ XDG_CONFIG_HOME: "/x", HOME: "/h" })).toBe("/x/latchkey/config.json");
    expect(configPath({ HOME: "/h" })).toBe("/h/.config/latchkey/config.json");
  });

  it("is written with mode 0600, even over a file that was readable by others", () => {
    const path = join(mkdtempSync(join(tmpdir(), "latchkey-cli-unit-")), "latchkey", "config.json");
    expect(readContexts(path)).toEqual({ current: null, contexts: {} });
    const context = { host: "http://h", token: "secret", entityType: "team" as const, entityId: "web", savedAt: "t" };
    writeContexts(path, { current: "web", contexts: { web: context } });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    chmodSync(path, 0o644);
    writeContexts(path, { current: null, contexts: { web: context } });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readContexts(path)).toEqual({ current: null, contexts: { web: context } });
    writeFileSync(path, "{broken");
    expect(() => readContexts(path)).toThrow(UsageError);
    expect(readFileSync(path, "utf8")).toBe("{broken");
  });
});
