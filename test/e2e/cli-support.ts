/**
 * Runs the built `latchkey` binary (packages/cli/dist/main.js) as a child process with its own config folder, and
 * reads the login page it prints so that a test can approve the login through the API.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./support.js";

export const CLI = join(ROOT, "packages/cli/dist/main.js");

/** What one run printed and how it ended. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A CLI user: a HOME and XDG_CONFIG_HOME of its own, and the environment every run gets. */
export interface CliUser {
  home: string;
  configFile: string;
  run(args: string[], options?: { env?: Record<string, string>; stdin?: string; timeoutMs?: number }): Promise<CliResult>;
  spawn(args: string[], env?: Record<string, string>): RunningCli;
  cleanup(): void;
}

/** A CLI process still running (a login waiting for approval, an audit tail). */
export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stderr (or stdout), or rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, where?: "stdout" | "stderr", timeoutMs?: number): Promise<RegExpMatchArray>;
  done: Promise<CliResult>;
}

export function cliUser(): CliUser {
  const home = mkdtempSync(join(tmpdir(), "latchkey-cli-"));
  const baseEnv = { PATH: process.env["PATH"] ?? "", HOME: home, XDG_CONFIG_HOME: join(home, "config") };

  const start = (args: string[], env: Record<string, string> = {}): RunningCli => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: home, env: { ...baseEnv, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const listeners = new Set<() => void>();
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      for (const l of listeners) l();
    });
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString();
      for (const l of listeners) l();
    });
    const done = new Promise<CliResult>((resolve) => child.on("close", (code) => resolve({ code, stdout: out, stderr: err })));
    return {
      child,
      stdout: () => out,
      stderr: () => err,
      done,
      waitFor(pattern, where = "stderr", timeoutMs = 10_000) {
        return new Promise((resolve, reject) => {
          const check = () => {
            const match = (where === "stderr" ? err : out).match(pattern);
            if (!match) return;
            cleanup();
            resolve(match);
          };
          const timer = setTimeout(() => {
            cleanup();
            reject(new Error(`no ${String(pattern)} on ${where} within ${timeoutMs} ms; stdout: ${out}\nstderr: ${err}`));
          }, timeoutMs);
          const cleanup = () => {
            clearTimeout(timer);
            listeners.delete(check);
          };
          listeners.add(check);
          check();
        });
      },
    };
  };

  return {
    home,
    configFile: join(home, "config", "latchkey", "config.json"),
    async run(args, options = {}) {
      const running = start(args, options.env);
      running.child.stdin!.end(options.stdin ?? "");
      const timer = setTimeout(() => running.child.kill("SIGKILL"), options.timeoutMs ?? 15_000);
      const result = await running.done;
      clearTimeout(timer);
      return result;
    },
    spawn: (args, env) => start(args, env),
    cleanup: () => rmSync(home, { recursive: true, force: true }),
  };
}

/** The session token of a login page URL printed by `latchkey login --no-browser`. */
export function sessionTokenIn(loginPage: string): string {
  const token = new URL(loginPage).searchParams.get("sessionToken");
  if (!token) throw new Error(`no sessionToken in ${loginPage}`);
  return token;
}
