/**
 * End to end: `latchkey scan` (the built binary) finds tokens a real server issued in files, directories and staged
 * git changes, prints them masked, exits 1, and `--revoke` reports them to the issuer's public revocation endpoint;
 * `tokens create --allowed-ip` and `tokens update --any-ip` edit a token's allow-list.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, type CliResult } from "./cli-support.js";
import { Api, ensureBuilt, freePort, startServer, type ServerProcess } from "./support.js";

/** Runs the CLI in `cwd` with only the environment given. */
function latchkey(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { PATH: process.env["PATH"] ?? "", HOME: cwd, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("latchkey scan and token allow-lists through the CLI", () => {
  let server: ServerProcess | undefined;
  let owner: Api;
  let admin: string;
  let dir: string;
  const mint = async (name: string) =>
    (await owner.ok<{ token: string; apiToken: { id: string } }>("POST", "/v1/teams/acme/tokens", { name, roleId: "default" })).token;
  const status = async (token: string) => (await new Api(server?.url ?? "", { bearer: token }).request("GET", "/v1/login")).status;

  beforeAll(async () => {
    await ensureBuilt();
    const port = await freePort();
    // The public URL is where the server really listens: `scan --revoke` reports to the token's issuer.
    server = await startServer({ name: "scan", port, publicUrl: `http://127.0.0.1:${port}` });
    owner = await Api.signIn(server.url);
    await owner.ok("POST", "/v1/teams", { name: "Acme" });
    admin = (await owner.ok<{ token: string }>("POST", "/v1/teams/acme/tokens", { name: "cli admin", roleId: "admin" })).token;
    dir = mkdtempSync(join(tmpdir(), "latchkey-scan-"));
  }, 300_000);
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 20_000);

  it("finds tokens in files and directories, masked, skipping node_modules, .git, binary and huge files; exit 1", async () => {
    const token = await mint("leaked in a repo");
    const other = await mint("in a skipped place");
    const tree = join(dir, "tree");
    mkdirSync(join(tree, "src"), { recursive: true });
    mkdirSync(join(tree, "node_modules", "x"), { recursive: true });
    mkdirSync(join(tree, ".git"), { recursive: true });
    writeFileSync(join(tree, "src", "config.env"), `# settings\nAPI_URL=https://example.com\nLATCHKEY_TOKEN=${token}\n`);
    writeFileSync(join(tree, "clean.txt"), "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl\n");
    writeFileSync(join(tree, "node_modules", "x", "index.js"), other);
    writeFileSync(join(tree, ".git", "ORIG"), other);
    writeFileSync(join(tree, "image.bin"), Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(other)]));
    writeFileSync(join(tree, "huge.log"), `${"x".repeat(4096)}\n${other}\n`);
    const res = await latchkey(["scan", tree, "--max-file-size", "2048"], dir);
    expect(res.code, res.stderr).toBe(1);
    expect(res.stdout).toBe(`${join(tree, "src", "config.env")}:3: ${token.slice(0, 12)}…${token.slice(-4)}\n`);
    expect(res.stderr).toMatch(/found 1 Latchkey token/);
    expect(res.stdout + res.stderr).not.toContain(token.split(".")[2]);
    expect(await status(token)).toBe(200);

    const clean = await latchkey(["scan", join(tree, "clean.txt")], dir);
    expect(clean).toEqual({ code: 0, stdout: "", stderr: "" });
    const json = await latchkey(["scan", join(tree, "src"), "-o", "json"], dir);
    expect(JSON.parse(json.stdout)).toEqual([
      { file: join(tree, "src", "config.env"), line: 3, token: `${token.slice(0, 12)}…${token.slice(-4)}` },
    ]);
  });

  it("--staged scans what a commit would add, with line numbers in the new file", async () => {
    const staged = await mint("staged");
    const unstaged = await mint("not staged");
    const repo = join(dir, "repo");
    mkdirSync(repo);
    const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null" } });
    git("init", "-q");
    writeFileSync(join(repo, "deploy.sh"), `#!/bin/sh\ncurl -H "authorization: Bearer ${staged}" https://api\n`);
    git("add", "deploy.sh");
    writeFileSync(join(repo, "notes.txt"), unstaged);
    const res = await latchkey(["scan", "--staged"], repo);
    expect(res.code, res.stderr).toBe(1);
    expect(res.stdout).toBe(`deploy.sh:2: ${staged.slice(0, 12)}…${staged.slice(-4)}\n`);
    git("rm", "-q", "--cached", "deploy.sh");
    expect((await latchkey(["scan", "--staged"], repo)).code).toBe(0);
    expect((await latchkey(["scan", "--staged"], dir)).code).toBe(2);
  });

  it("--revoke reports what it found to the token's issuer, which revokes it at once", async () => {
    const token = await mint("to be reported");
    const kept = await mint("kept");
    const file = join(dir, "leak.txt");
    writeFileSync(file, `token ${token}\n`);
    const res = await latchkey(["scan", file, "--revoke"], dir);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain(`reported 1 token to ${server?.url ?? ""} for revocation`);
    expect(await status(token)).toBe(401);
    expect(await status(kept)).toBe(200);
  });

  it("tokens create --allowed-ip and tokens update --any-ip edit the allow-list", async () => {
    const env = { LATCHKEY_TOKEN: admin, LATCHKEY_HOST: server?.url ?? "" };
    const created = await latchkey(
      [
        "tokens",
        "create",
        "--name",
        "office only",
        "--role",
        "default",
        "--allowed-ip",
        "10.0.0.0/8",
        "--allowed-ip",
        "2001:db8::/32",
        "-o",
        "json",
      ],
      dir,
      env,
    );
    expect(created.code, created.stderr).toBe(0);
    const { apiToken, token } = JSON.parse(created.stdout) as { apiToken: { id: string; allowedIps: string[] }; token: string };
    expect(apiToken.allowedIps).toEqual(["10.0.0.0/8", "2001:db8::/32"]);
    const refused = await new Api(server?.url ?? "", { bearer: token }).request("GET", "/v1/login");
    expect(refused.status).toBe(403);
    expect(JSON.stringify(refused.body)).toContain("IP_NOT_ALLOWED");
    const bad = await latchkey(["tokens", "update", apiToken.id, "--allowed-ip", "10.0.0.0/33"], dir, env);
    expect(bad.code).toBe(1);
    const opened = await latchkey(["tokens", "update", apiToken.id, "--any-ip"], dir, env);
    expect(opened.code, opened.stderr).toBe(0);
    expect(opened.stdout).toMatch(/ALLOWED IPS\s+any/);
    expect(await status(token)).toBe(200);
  });
});
