#!/usr/bin/env node
// Proves that @latchkey/core and @latchkey/sdk work as published (issue 16, "The SDK is publishable"):
//   1. `npm pack` of both (their prepack builds dist afresh, without source maps) into a temp dir;
//   2. `npm install` of the two tarballs into a fresh project (from npm's cache: --offline, then the registry);
//   3. what was installed: only dist/*.js, dist/*.d.ts, README.md and package.json; every `exports` target present;
//      no import of anything but node:*, relative files, @latchkey/core and zod (no server code, no tests);
//   4. `node` imports @latchkey/sdk, @latchkey/sdk/verifier and @latchkey/sdk/middleware, and a verifier facing an
//      unreachable Latchkey fails closed; a path outside `exports` is refused;
//   5. `tsc --noEmit` (skipLibCheck off) of a TypeScript file that uses their types, with an expected error proving the
//      types are real (not `any`); with `declaration` on, as the file exports client resources with inferred types, which
//      must be spelled without a path the `exports` map hides (TS2742).
//   node scripts/sdk-pack-check.mjs [--keep]    (npm run sdk:pack-check; --keep leaves the temp dir and prints it)
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import process from "node:process";
import { fileURLToPath, URL } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");
const PACKAGES = ["@latchkey/core", "@latchkey/sdk"];
/** What a packed file may import: Node's modules, its own files, and the declared dependencies. */
const ALLOWED_IMPORT = /^(node:|\.\.?\/|@latchkey\/core$|zod(\/|$))/;

const keep = process.argv.includes("--keep");
const dir = mkdtempSync(join(tmpdir(), "latchkey-sdk-pack-"));
const problems = [];
const step = (text) => process.stdout.write(`- ${text}\n`);

/** Runs a command; on failure throws with its output. */
function run(command, args, cwd) {
  try {
    return execFileSync(command, args, {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" },
    });
  } catch (error) {
    throw new Error(`${command} ${args.join(" ")} (in ${cwd}) failed:\n${error.stdout ?? ""}${error.stderr ?? error.message}`);
  }
}
const npm = (args, cwd) => run(process.execPath, [process.env.npm_execpath ?? npmCli(), ...args], cwd);
/** npm's CLI script next to this Node (when not started by `npm run`). */
function npmCli() {
  const candidates = [join(process.execPath, "..", "..", "lib", "node_modules", "npm", "bin", "npm-cli.js")];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error("npm not found: run through `npm run sdk:pack-check`");
  return found;
}

function filesUnder(root) {
  const out = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const p = join(root, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

/** Every export target of a package.json `exports` map (strings, nested conditions). */
function targets(exports) {
  if (typeof exports === "string") return [exports];
  return Object.values(exports ?? {}).flatMap(targets);
}

/** Checks one installed package against its tarball's file list (`packedFiles`); returns how many files it has. */
function checkInstalled(project, name, packedFiles) {
  const root = join(project, "node_modules", ...name.split("/"));
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  if (manifest.private) problems.push(`${name}: "private" is set`);
  if (!manifest.engines?.node?.includes("20.19")) problems.push(`${name}: engines.node is ${manifest.engines?.node}`);
  for (const target of targets(manifest.exports)) {
    if (!existsSync(join(root, target))) problems.push(`${name}: exports target ${target} is not in the package`);
  }
  const files = filesUnder(root).map((p) => relative(root, p));
  // The installed package is the tarball (not a package of the same name from a registry).
  if ([...files].sort().join("\n") !== [...packedFiles].sort().join("\n"))
    problems.push(`${name}: installed files differ from the tarball's`);
  for (const file of files) {
    const allowed = file === "package.json" || file === "README.md" || /^dist\/.+\.(js|d\.ts)$/.test(file);
    if (!allowed || /\.test\.|test-support|__snapshots__/.test(file)) problems.push(`${name}: packed ${file}`);
    if (!/\.(js|d\.ts)$/.test(file)) continue;
    const text = readFileSync(join(root, file), "utf8");
    for (const match of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["']([^"']+)["']/g)) {
      const specifier = match[1] ?? "";
      if (!ALLOWED_IMPORT.test(specifier)) problems.push(`${name}: ${file} imports ${specifier}`);
    }
    if (/sourceMappingURL/.test(text)) problems.push(`${name}: ${file} points at a source map that is not packed`);
  }
  return files.length;
}

const RUNTIME_CHECK = `
import assert from "node:assert/strict";
const sdk = await import("@latchkey/sdk");
const verifierModule = await import("@latchkey/sdk/verifier");
const middleware = await import("@latchkey/sdk/middleware");
assert.equal(typeof sdk.LatchkeyClient, "function");
assert.equal(typeof sdk.ApiError, "function");
assert.equal(sdk.isTokenShaped("not a token"), false); // from @latchkey/core, at run time
assert.equal(typeof verifierModule.createVerifier, "function");
assert.equal(typeof middleware.latchkeyPlugin, "function");
assert.equal(typeof middleware.requireToken, "function");
const verifier = verifierModule.createVerifier({ url: "http://127.0.0.1:9", token: "t", graceMs: 0, timeoutMs: 2000 });
await assert.rejects(verifier.verify("a.b.c"), verifierModule.VerifierUnavailableError);
verifier.close();
await assert.rejects(import("@latchkey/sdk/dist/index.js"), { code: "ERR_PACKAGE_PATH_NOT_EXPORTED" });
process.stdout.write("imports ok\\n");
`;

const TYPE_CHECK = `import { ApiError, LatchkeyClient, type TokenMetadata } from "@latchkey/sdk";
import { createVerifier, VerifierUnavailableError, type Verifier, type VerifyResult } from "@latchkey/sdk/verifier";
import { latchkeyPlugin, requireToken, type ExpressLikeRequest, type LatchkeyRouteConfig } from "@latchkey/sdk/middleware";
import { TokenCheckResult } from "@latchkey/core";

const client = new LatchkeyClient({ baseUrl: "http://127.0.0.1:8080", token: "t" });
export async function tokenNames(): Promise<string[]> {
  const tokens: TokenMetadata[] = await client.tokens({ type: "team", id: "acme" }).all();
  return tokens.map((t) => t.name);
}

const verifier: Verifier = createVerifier({ url: "http://127.0.0.1:8080", token: "t", graceMs: 5000 });
export async function roleOf(bearer: string): Promise<string> {
  const result: VerifyResult = TokenCheckResult.parse(await verifier.verify(bearer, { permissions: ["billing:invoices.read"] }));
  // @ts-expect-error: code is a union of strings: the declarations are real types, not any
  const wrong: number = result.code;
  void wrong;
  return result.valid ? (result.token?.role.name ?? "") : result.code;
}

export const route: LatchkeyRouteConfig = { latchkey: { permissions: ["billing:invoices.read"] } };
export const express: (req: ExpressLikeRequest, res: never, next: () => void) => void = requireToken(verifier, ["billing:invoices.read"]);
export const plugin = latchkeyPlugin;
export const unavailable = (e: unknown): boolean => e instanceof VerifierUnavailableError || e instanceof ApiError;
// Inferred, not annotated: this file's declarations must spell the client's resources from the published entry points.
export const teamTokens = client.tokens({ type: "team", id: "acme" });
export const orgAudit = () => client.audit({ type: "org", id: "acme" });
export const session = client.session;
export const orgRoles = client.orgRoles("acme");
`;

function main() {
  const started = Date.now();
  const tarballs = join(dir, "tarballs");
  mkdirSync(tarballs);
  const packed = JSON.parse(
    npm(["pack", "--json", "--pack-destination", tarballs, ...PACKAGES.flatMap((p) => ["-w", p])], ROOT).replace(/^[^[]*/, ""),
  );
  for (const p of packed) step(`packed ${p.name}@${p.version}: ${p.entryCount} files, ${p.size} bytes (${p.filename})`);

  const project = join(dir, "project");
  mkdirSync(project);
  const typesNode = JSON.parse(readFileSync(join(ROOT, "node_modules", "@types", "node", "package.json"), "utf8")).version;
  const dependencies = Object.fromEntries(packed.map((p) => [p.name, `file:${join(tarballs, p.filename)}`]));
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify(
      { name: "sdk-consumer", private: true, type: "module", dependencies, devDependencies: { "@types/node": typesNode } },
      null,
      2,
    ),
  );
  const install = ["install", "--no-audit", "--no-fund", "--ignore-scripts", "--no-package-lock"];
  try {
    npm([...install, "--offline"], project);
    step("installed the tarballs into a fresh project (offline, from npm's cache)");
  } catch {
    npm([...install, "--prefer-offline"], project);
    step("installed the tarballs into a fresh project (the registry for what npm's cache lacked)");
  }

  for (const p of packed)
    step(
      `${p.name}: ${checkInstalled(
        project,
        p.name,
        p.files.map((f) => f.path),
      )} files installed, as packed`,
    );
  if (existsSync(join(project, "node_modules", "@latchkey", "sdk", "node_modules")))
    problems.push("@latchkey/sdk has a nested node_modules");
  if (problems.length > 0) throw new Error(`the packages hold what they should not:\n  ${problems.join("\n  ")}`);
  step("only dist/*.js, dist/*.d.ts, README.md and package.json; exports targets present; imports: node:, zod, @latchkey/core");

  writeFileSync(join(project, "runtime-check.mjs"), RUNTIME_CHECK);
  process.stdout.write(`  ${run(process.execPath, ["runtime-check.mjs"], project).trim()}\n`);
  step("node imports @latchkey/sdk, /verifier and /middleware; a verifier facing no Latchkey fails closed; dist/ is not exported");

  writeFileSync(join(project, "check.ts"), TYPE_CHECK);
  const tsconfig = {
    compilerOptions: {
      target: "ES2022",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      lib: ["ES2023"],
      types: ["node"],
      strict: true,
      noEmit: true,
      declaration: true,
      skipLibCheck: false,
    },
    files: ["check.ts"],
  };
  writeFileSync(join(project, "tsconfig.json"), JSON.stringify(tsconfig, null, 2));
  run(process.execPath, [TSC, "-p", "tsconfig.json"], project);
  step("tsc --noEmit (strict, NodeNext, skipLibCheck off, declaration on) of a file using the client, verifier and middleware types");
  process.stdout.write(`sdk pack check passed in ${((Date.now() - started) / 1000).toFixed(1)} s${keep ? `; kept ${dir}` : ""}\n`);
}

try {
  main();
} catch (error) {
  process.stderr.write(`sdk pack check failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  if (!keep) rmSync(dir, { recursive: true, force: true });
}
