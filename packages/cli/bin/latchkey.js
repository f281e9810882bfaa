#!/usr/bin/env node
// The `latchkey` command. The CLI is TypeScript built into dist/; on a fresh checkout (npm ci without npm run build)
// this builds it once, printing to stderr so that stdout stays the command's own.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const main = new URL("../dist/main.js", import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  const root = fileURLToPath(new URL("../../../", import.meta.url));
  execFileSync(process.execPath, ["scripts/build-if-missing.mjs"], { cwd: root, stdio: ["ignore", 2, 2] });
}
await import(main.href);
