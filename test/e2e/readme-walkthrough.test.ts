/**
 * The README's "API tokens in one minute", run as written: its first shell block says how to start the server (the
 * variables it sets are the server's environment here; `npm start` is the built server started by startServer), and
 * the other blocks run in one bash session, in order, against that fresh server. Each `# -> …` line is the output
 * the command before it must print (`…` stands for anything). The one change made to the text: `localhost:8080`
 * becomes the test server's address, so that the test never needs port 8080.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, freePort, ROOT, startServer, type ServerProcess } from "./support.js";

const SECTION = "## API tokens in one minute";

/** The fenced `sh` blocks of the README's section. */
function shellBlocks(readme: string): string[] {
  const start = readme.indexOf(`${SECTION}\n`);
  if (start === -1) throw new Error(`README.md has no section "${SECTION}"`);
  const rest = readme.slice(start + SECTION.length);
  const end = rest.search(/\n#{2,3} /);
  const section = end === -1 ? rest : rest.slice(0, end);
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? "");
}

/** `A=1 B='x y' npm start` -> the variables, and the command after them. */
function assignments(line: string): { env: Record<string, string>; command: string } {
  const env: Record<string, string> = {};
  let rest = line.trim();
  for (;;) {
    const m = /^([A-Z_][A-Z0-9_]*)=('([^']*)'|"([^"]*)"|(\S*))\s+/.exec(rest);
    if (!m) break;
    env[m[1] ?? ""] = m[3] ?? m[4] ?? m[5] ?? "";
    rest = rest.slice(m[0].length);
  }
  return { env, command: rest };
}

/** The `# -> …` lines of a block, as patterns (`…` matches anything). */
function expectations(script: string): RegExp[] {
  return [...script.matchAll(/^# -> (.*)$/gm)].map(
    (m) =>
      new RegExp(
        (m[1] ?? "")
          .split("…")
          .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
          .join(".*?"),
      ),
  );
}

function bash(script: string, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", `set -euo pipefail\n${script}`], {
      cwd,
      // Node.js is on PATH, as it is for whoever runs `npm start`.
      env: { PATH: `${dirname(process.execPath)}:${process.env["PATH"] ?? ""}`, HOME: cwd },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("README: API tokens in one minute", { timeout: 120_000 }, () => {
  const blocks = shellBlocks(readFileSync(join(ROOT, "README.md"), "utf8"));
  let server: ServerProcess | undefined;
  let dir = "";

  beforeAll(async () => {
    await ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), "latchkey-readme-"));
  }, 300_000);
  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it("says how to start, then signs in, creates a team and tokens, and uses them, exactly as printed", async () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    const { env, command } = assignments(blocks[0] ?? "");
    expect(command).toBe("npm start");
    expect(Object.keys(env).sort()).toEqual(["LATCHKEY_BOOTSTRAP_EMAIL", "LATCHKEY_BOOTSTRAP_PASSWORD"]);

    const port = await freePort();
    server = await startServer({ name: "readme", port, publicUrl: `http://localhost:${port}`, bootstrap: false, env });
    const script = blocks.slice(1).join("\n").replaceAll("localhost:8080", `127.0.0.1:${port}`);
    const run = await bash(script, dir);
    expect(run.stderr).toBe("");
    expect(run.code, run.stdout).toBe(0);

    const wanted = expectations(script);
    expect(wanted.length).toBeGreaterThanOrEqual(4);
    // In order: each expected output is found after the previous one.
    let at = 0;
    for (const pattern of wanted) {
      const found = pattern.exec(run.stdout.slice(at));
      expect(found, `${String(pattern)} in ${run.stdout.slice(at, at + 400)}`).not.toBeNull();
      at += (found?.index ?? 0) + (found?.[0].length ?? 0);
    }
  });
});
