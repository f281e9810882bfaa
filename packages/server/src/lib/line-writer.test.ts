import { closeSync, openSync, readFileSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createLineWriter } from "./line-writer.js";

const file = () => join(mkdtempSync(join(tmpdir(), "latchkey-lines-")), "out.log");

describe("the log line writer", () => {
  it("writes every line, in order, the ones that come during a write together in the next one", async () => {
    const path = file();
    const fd = openSync(path, "w");
    try {
      const out = createLineWriter(fd);
      const lines = Array.from({ length: 5000 }, (_, i) => `{"n":${i},"s":"é ${"x".repeat(i % 50)}"}\n`);
      for (const line of lines) expect(out.write(line)).toBe(true);
      await out.end();
      expect(readFileSync(path, "utf8")).toBe(lines.join(""));
      expect(out.dropped()).toBe(0);
      // After a drain, the next line starts a write of its own.
      out.write("last\n");
      await out.end();
      expect(readFileSync(path, "utf8").endsWith("}\nlast\n")).toBe(true);
    } finally {
      closeSync(fd);
    }
  });

  it("drops lines beyond what may wait, and counts them, rather than holding them without end", async () => {
    const path = file();
    const fd = openSync(path, "w");
    try {
      const out = createLineWriter(fd, { maxPendingBytes: 100 });
      // The first line starts a write at once; the next ones wait, up to 100 characters.
      const written = Array.from({ length: 20 }, (_, i) => out.write(`line ${String(i).padStart(3, "0")} ${"y".repeat(10)}\n`));
      expect(written.filter((ok) => !ok).length).toBeGreaterThan(0);
      expect(out.dropped()).toBe(written.filter((ok) => !ok).length);
      await out.end();
      const text = readFileSync(path, "utf8");
      expect(text.split("\n").filter(Boolean)).toHaveLength(written.filter(Boolean).length);
    } finally {
      closeSync(fd);
    }
  });

  it("a broken destination drops lines and never throws", async () => {
    // A descriptor nothing has open (EBADF), never one that a closed file's number may now belong to.
    const out = createLineWriter(1_000_000);
    expect(() => out.write("into nothing\n")).not.toThrow();
    await out.end();
    expect(out.write("again\n")).toBe(false);
    expect(out.dropped()).toBeGreaterThanOrEqual(1);
  });

  it("under steady load, lines go out in batches of a few milliseconds, not a write per line or two", async () => {
    const path = file();
    const fd = openSync(path, "w");
    try {
      const out = createLineWriter(fd);
      // A line every turn of the event loop for 40 ms, as a busy server makes them: each write returns within
      // microseconds, and the lines of those microseconds must not go out at once in a write of their own.
      const lines: string[] = [];
      const until = Date.now() + 40;
      while (Date.now() < until) {
        const line = `line ${lines.length}\n`;
        lines.push(line);
        out.write(line);
        await new Promise((resolve) => setImmediate(resolve));
      }
      await out.end();
      expect(readFileSync(path, "utf8")).toBe(lines.join(""));
      expect(lines.length).toBeGreaterThan(100);
      // 40 ms in batches of 20 ms: 2 or 3 writes, and some slack for a slow machine (a write per line or two: hundreds).
      expect(out.writes(), `${lines.length} lines`).toBeLessThanOrEqual(8);
    } finally {
      closeSync(fd);
    }
  });
});
