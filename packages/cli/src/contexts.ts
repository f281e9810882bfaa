import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { UsageError } from "./failure.js";

/** One saved login: a server, a token, and the team or organisation the token belongs to. */
export interface Context {
  host: string;
  token: string;
  entityType: "team" | "org" | null;
  entityId: string | null;
  savedAt: string;
}

/** The CLI's configuration file: every saved context and which one is in use. */
export interface ContextFile {
  current: string | null;
  contexts: Record<string, Context>;
}

/** `$XDG_CONFIG_HOME/latchkey/config.json`, else `~/.config/latchkey/config.json`. */
export function configPath(env: NodeJS.ProcessEnv): string {
  const base = env["XDG_CONFIG_HOME"] || join(env["HOME"] || homedir(), ".config");
  return join(base, "latchkey", "config.json");
}

/** Reads the configuration file (an empty one when there is none yet). */
export function readContexts(path: string): ContextFile {
  if (!existsSync(path)) return { current: null, contexts: {} };
  let parsed: Partial<ContextFile>;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<ContextFile>;
  } catch {
    throw new UsageError(`${path} is not valid JSON: fix or delete it`);
  }
  return { current: parsed.current ?? null, contexts: parsed.contexts ?? {} };
}

/** Writes the file atomically with mode 0600 (it holds tokens), its folder 0700. */
export function writeContexts(path: string, file: ContextFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

/**
 * Removes a context; when it was the current one, the first remaining context (by name) becomes current, so that the
 * next command does not fail with "not logged in" while other logins are saved. Returns the current context after.
 */
export function forgetContext(file: ContextFile, name: string): string | null {
  const wasCurrent = file.current === name;
  delete file.contexts[name];
  if (wasCurrent) file.current = Object.keys(file.contexts).sort()[0] ?? null;
  return wasCurrent ? file.current : null;
}
