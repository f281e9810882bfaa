import { execFile } from "node:child_process";
import { lstat, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { findTokens, maskToken, unverifiedIssuer } from "@latchkey/sdk";
import { Option, type Command } from "commander";
import { UsageError } from "../failure.js";
import type { RuntimeOf } from "../runtime.js";

const run = promisify(execFile);
const SKIPPED_DIRECTORIES = new Set(["node_modules", ".git"]);
const DEFAULT_MAX_BYTES = 1024 * 1024;
/** The public revocation endpoint takes at most this many tokens a request. */
const REVOCATION_BATCH = 1000;

/** One token found: where, and the token itself (printed only masked). */
interface Finding {
  file: string;
  line: number;
  token: string;
}

/** Thrown when tokens were found: exit 1, so that a pre-commit hook stops the commit. */
class TokensFound extends Error {
  constructor(count: number) {
    super(`found ${count} Latchkey token${count === 1 ? "" : "s"}: remove ${count === 1 ? "it" : "them"}, and revoke what was exposed`);
    this.name = "TokensFound";
  }
}

/** The tokens in a text, with their 1-based line numbers counted from `firstLine`. */
function scanText(file: string, text: string, firstLine = 1): Finding[] {
  const found: Finding[] = [];
  let line = firstLine;
  let from = 0;
  for (const { token, index } of findTokens(text)) {
    for (let i = text.indexOf("\n", from); i !== -1 && i < index; i = text.indexOf("\n", i + 1)) line++;
    from = index;
    found.push({ file, line, token });
  }
  return found;
}

/** A file's text, or null for a file that is too large or binary (a NUL byte in its first 8 KiB). */
async function readScannable(path: string, maxBytes: number): Promise<string | null> {
  const info = await lstat(path);
  if (!info.isFile() || info.size > maxBytes) return null;
  const bytes = await readFile(path);
  if (bytes.subarray(0, 8192).includes(0)) return null;
  return bytes.toString("utf8");
}

/** Files and directories, recursively (symbolic links are not followed; node_modules and .git are skipped). */
async function scanPaths(paths: string[], maxBytes: number): Promise<Finding[]> {
  const found: Finding[] = [];
  const visit = async (path: string): Promise<void> => {
    const info = await lstat(path);
    if (info.isDirectory()) {
      const entries = await readdir(path, { withFileTypes: true });
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const entry of entries) {
        if (entry.isDirectory() && SKIPPED_DIRECTORIES.has(entry.name)) continue;
        await visit(join(path, entry.name));
      }
      return;
    }
    const text = await readScannable(path, maxBytes);
    if (text !== null) found.push(...scanText(path, text));
  };
  for (const path of paths) {
    try {
      await visit(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new UsageError(`no such file or directory: ${path}`);
      throw error;
    }
  }
  return found;
}

/** The lines a commit would add (`git diff --cached`), with their line numbers in the new version of each file. */
async function scanStaged(maxBytes: number): Promise<Finding[]> {
  let diff: string;
  try {
    diff = (await run("git", ["diff", "--cached", "--unified=0", "--no-color", "--no-ext-diff"], { maxBuffer: 64 * maxBytes })).stdout;
  } catch (error) {
    throw new UsageError(`--staged needs a git repository: ${(error as Error).message.split("\n")[0] ?? ""}`);
  }
  const found: Finding[] = [];
  let file = "";
  let line = 0;
  for (const text of diff.split("\n")) {
    if (text.startsWith("+++ ")) {
      file = text.startsWith("+++ b/") ? text.slice(6) : text.slice(4);
      continue;
    }
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(text);
    if (hunk) {
      line = Number(hunk[1]);
      continue;
    }
    if (text.startsWith("+") && file !== "/dev/null") {
      if (text.length <= maxBytes) found.push(...scanText(file, text.slice(1), line));
      line++;
    }
  }
  return found;
}

/** Sends found tokens to the public revocation endpoint of each token's issuer (its unverified `iss`). */
async function revokeAtIssuers(findings: Finding[], out: (s: string) => void, err: (s: string) => void): Promise<void> {
  const byIssuer = new Map<string, Set<string>>();
  for (const f of findings) {
    const issuer = unverifiedIssuer(f.token);
    if (!issuer) {
      err(`${f.file}:${f.line}: no http(s) issuer in the token; not reported\n`);
      continue;
    }
    const set = byIssuer.get(issuer) ?? new Set<string>();
    set.add(f.token);
    byIssuer.set(issuer, set);
  }
  for (const [issuer, set] of byIssuer) {
    const tokens = [...set];
    for (let i = 0; i < tokens.length; i += REVOCATION_BATCH) {
      const batch = tokens.slice(i, i + REVOCATION_BATCH);
      try {
        const res = await fetch(`${issuer}/v1/token-revocations`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-latchkey-origin": "cli" },
          body: JSON.stringify({ tokens: batch }),
          signal: AbortSignal.timeout(15_000),
          redirect: "error",
        });
        if (res.ok) out(`reported ${batch.length} token${batch.length === 1 ? "" : "s"} to ${issuer} for revocation\n`);
        else err(`${issuer} refused the report: HTTP ${res.status}\n`);
      } catch (error) {
        err(`could not reach ${issuer}: ${(error as Error).message}\n`);
      }
    }
  }
}

/** `latchkey scan [paths...]`: finds Latchkey tokens in files, directories or staged git changes. */
export function scanCommands(program: Command, runtimeOf: RuntimeOf): void {
  program
    .command("scan [paths...]")
    .description("Find Latchkey tokens in files and directories (default: .) or in staged git changes; exit 1 when any is found")
    .option("--staged", "scan the lines `git commit` would add (git diff --cached), for a pre-commit hook")
    .option(
      "--revoke",
      "send every token found to the public revocation endpoint of its issuer (POST <iss>/v1/token-revocations, no credential). " +
        "The issuer is read from the token's own `iss` claim, unverified: it is used only as the address to report to, nothing else is trusted",
    )
    .addOption(new Option("--max-file-size <bytes>", "skip files larger than this").default(String(DEFAULT_MAX_BYTES)))
    .addHelpText(
      "after",
      `
Files larger than --max-file-size, binary files, node_modules and .git are skipped; symbolic links are not followed.
Tokens are printed masked (file:line: eyJhbGciOiJF…abcd).

Pre-commit hook (.git/hooks/pre-commit):
  #!/bin/sh
  exec latchkey scan --staged`,
    )
    .action(async (paths: string[], opts: { staged?: boolean; revoke?: boolean; maxFileSize: string }, command: Command) => {
      const rt = runtimeOf(command);
      const maxBytes = Number(opts.maxFileSize);
      if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) throw new UsageError("--max-file-size must be a positive number of bytes");
      if (opts.staged && paths.length > 0) throw new UsageError("give paths or --staged, not both");
      const findings = opts.staged ? await scanStaged(maxBytes) : await scanPaths(paths.length > 0 ? paths : ["."], maxBytes);
      const shown = findings.map((f) => ({ file: f.file, line: f.line, token: maskToken(f.token) }));
      if (rt.format === "table") for (const f of shown) rt.io.out(`${f.file}:${f.line}: ${f.token}\n`);
      else rt.print(shown);
      if (opts.revoke && findings.length > 0)
        await revokeAtIssuers(
          findings,
          (s) => rt.io.out(s),
          (s) => rt.io.err(s),
        );
      if (findings.length > 0) throw new TokensFound(findings.length);
    });
}
