/**
 * End to end: the nginx recipe of docs/gateways.md, as written (docs/gateways/nginx.conf, only its addresses swapped),
 * with a real nginx (Debian's package: /usr/sbin/nginx, installed by .ci/run) in front of a small upstream that
 * echoes the headers it got, and a real Latchkey process. Skipped where nginx is not installed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Api, ensureBuilt, freePort, ROOT, startServer, waitFor, type ServerProcess } from "./support.js";

const NGINX = "/usr/sbin/nginx";
const TEAM = "acme";

/** The recipe wrapped in the few lines a standalone nginx needs, everything written to `dir`. */
function nginxConfig(dir: string, ports: { nginx: number; latchkey: number; upstream: number }): string {
  const recipe = readFileSync(join(ROOT, "docs/gateways/nginx.conf"), "utf8")
    .replace("listen 80;", `listen 127.0.0.1:${ports.nginx};`)
    .replaceAll("http://127.0.0.1:8080", `http://127.0.0.1:${ports.latchkey}`)
    .replaceAll("http://127.0.0.1:3000", `http://127.0.0.1:${ports.upstream}`);
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path ${join(dir, t)};`).join("\n");
  return `daemon off;
master_process on;
worker_processes 1;
pid ${join(dir, "nginx.pid")};
error_log ${join(dir, "error.log")} warn;
events { worker_connections 64; }
http {
  access_log off;
${temp}
${recipe}
}
`;
}

/** A service behind the gateway: answers 200 with the headers it received. */
function startUpstream(port: number): Promise<Server> {
  const server = createServer((request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ upstream: true, path: request.url, headers: request.headers }));
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

describe.skipIf(!existsSync(NGINX))("the nginx recipe (auth_request) in front of a service", () => {
  let dir: string;
  let latchkey: ServerProcess | undefined;
  let upstream: Server | undefined;
  let nginx: ChildProcess | undefined;
  let nginxLog = "";
  let gateway: string;
  let owner: Api;

  const mint = async (name: string, roleId: string, team = TEAM) => {
    const data = await owner.ok<{ token: string; apiToken: { id: string } }>("POST", `/v1/teams/${team}/tokens`, { name, roleId });
    return { id: data.apiToken.id, token: data.token };
  };
  const call = (token?: string, headers: Record<string, string> = {}) =>
    fetch(`${gateway}/invoices/42?x=1`, { headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } });

  beforeAll(async () => {
    await ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), "latchkey-nginx-"));
    chmodSync(dir, 0o755);
    const ports = { nginx: await freePort(), latchkey: await freePort(), upstream: await freePort() };
    latchkey = await startServer({
      name: "nginx-gateway",
      port: ports.latchkey,
      publicUrl: "http://latchkey.e2e.test",
      env: { LATCHKEY_TRUSTED_PROXIES: "127.0.0.1/32" },
    });
    upstream = await startUpstream(ports.upstream);
    const conf = join(dir, "nginx.conf");
    writeFileSync(conf, nginxConfig(dir, ports));
    nginx = spawn(NGINX, ["-p", dir, "-c", conf, "-e", join(dir, "error.log")], { stdio: ["ignore", "pipe", "pipe"] });
    nginx.stdout?.on("data", (c: Buffer) => (nginxLog += c.toString()));
    nginx.stderr?.on("data", (c: Buffer) => (nginxLog += c.toString()));
    gateway = `http://127.0.0.1:${ports.nginx}`;
    const up = await waitFor(
      async () => {
        if (nginx?.exitCode !== null) throw new Error(`nginx exited: ${nginxLog}`);
        return (await fetch(gateway).catch(() => null)) !== null;
      },
      (listening) => listening,
      { timeoutMs: 15_000, intervalMs: 50 },
    );
    if (!up.met) throw new Error(`nginx did not listen: ${nginxLog}`);
    owner = await Api.signIn(latchkey.url);
    await owner.ok("POST", "/v1/teams", { name: "Acme" });
    await owner.ok("POST", `/v1/teams/${TEAM}/roles`, { name: "Team only", permissions: { teamScope: ["team.read"] } });
  }, 120_000);

  afterAll(async () => {
    nginx?.kill("SIGTERM");
    await new Promise<void>((resolve) => (nginx && nginx.exitCode === null ? nginx.once("exit", () => resolve()) : resolve()));
    await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
    await latchkey?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it("a token with the permission gets the service's reply, and the service sees who called (not what the client forged)", async () => {
    const { id, token } = await mint("through nginx", "default");
    const res = await call(token, { "x-latchkey-token-id": "forged", "x-latchkey-role": "owner" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { upstream: boolean; path: string; headers: Record<string, string> };
    expect(body.upstream).toBe(true);
    expect(body.path).toBe("/invoices/42?x=1");
    expect(body.headers).toMatchObject({
      "x-latchkey-token-id": id,
      "x-latchkey-token-name": "through nginx",
      "x-latchkey-entity": `team:${TEAM}`,
      "x-latchkey-role": "default",
    });
  });

  it("403 without the permission, 401 (with the Bearer challenge) without a token", async () => {
    const { token } = await mint("team only", "team-only");
    expect((await call(token)).status).toBe(403);
    const anonymous = await call();
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
  });

  it("a token revoked through the API gets 401 on its next request", async () => {
    const { id, token } = await mint("revoked soon", "default");
    expect((await call(token)).status).toBe(200);
    await owner.ok("DELETE", `/v1/teams/${TEAM}/tokens/${id}`);
    expect((await call(token)).status).toBe(401);
  });

  it("429 with Retry-After once the token's rate limit is spent (not nginx's 500)", async () => {
    await owner.ok("POST", "/v1/teams", { name: "Tight" });
    await owner.ok("PATCH", "/v1/teams/tight", { rateLimitPerHour: 1 });
    const { token } = await mint("tight", "default", "tight");
    expect((await call(token)).status).toBe(200);
    const limited = await call(token);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});
