import process from "node:process";
// `npm start` on a fresh clone: build the TypeScript once, then again only when a source is newer than its output.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

const newest = (dir) => {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
};

const packages = ["core", "server", "sdk", "cli"];
const stale = packages.some((pkg) => {
  const out = join("packages", pkg, "dist");
  return !existsSync(out) || newest(join("packages", pkg, "src")) > newest(out);
});
if (stale) {
  process.stdout.write("Building Latchkey (first start or sources changed)...\n");
  execFileSync(
    process.execPath,
    ["node_modules/typescript/bin/tsc", "-b", "packages/server/tsconfig.build.json", "packages/cli/tsconfig.build.json"],
    { stdio: "inherit" },
  );
}

// The web console: Vite bundles it (with the sdk's sources) into packages/web/dist, which the server serves at `/`.
const webOut = join("packages", "web", "dist");
const webSources = Math.max(
  newest(join("packages", "web", "src")),
  newest(join("packages", "sdk", "src")),
  statSync(join("packages", "web", "index.html")).mtimeMs,
);
if (!existsSync(join(webOut, "index.html")) || webSources > newest(webOut)) {
  process.stdout.write("Building the web console...\n");
  execFileSync(process.execPath, [resolve("node_modules", "vite", "bin", "vite.js"), "build", "--logLevel", "warn"], {
    cwd: join("packages", "web"),
    // A production bundle even when called from a test run (vitest sets NODE_ENV=test, which Vite would honour).
    env: { ...process.env, NODE_ENV: "production" },
    stdio: "inherit",
  });
}
