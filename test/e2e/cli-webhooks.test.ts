/**
 * `latchkey webhooks ...` (the built CLI) against a real server process and a receiver that verifies signatures.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../../packages/server/src/test-support/webhook-receiver.js";
import { cliUser } from "./cli-support.js";
import { Api, ensureBuilt, freePort, startServer, type ServerProcess } from "./support.js";

describe("latchkey webhooks", { timeout: 60_000 }, () => {
  let server: ServerProcess;
  let rx: Receiver;
  let env: Record<string, string>;

  beforeAll(async () => {
    await ensureBuilt();
    rx = await startReceiver();
    const port = await freePort();
    server = await startServer({
      name: "cli-webhooks",
      port,
      publicUrl: `http://127.0.0.1:${port}`,
      env: { LATCHKEY_WEBHOOKS_ALLOW_PRIVATE: "true" },
    });
    const owner = await Api.signIn(server.url);
    await owner.ok("POST", "/v1/teams", { name: "Cli hooks" });
    const { token } = await owner.ok<{ token: string }>("POST", "/v1/teams/cli-hooks/tokens", { name: "cli", roleId: "owner" });
    env = { LATCHKEY_HOST: server.url, LATCHKEY_TOKEN: token };
  }, 300_000);
  afterAll(async () => {
    await server?.stop();
    await rx?.close();
  });

  it("creates (secret once), lists, tests, shows deliveries, pauses and deletes", async () => {
    const user = cliUser();
    const created = await user.run(["webhooks", "create", rx.url, "--events", "token.created,role.updated", "-o", "json"], { env });
    expect(created.code, created.stderr).toBe(0);
    const hook = JSON.parse(created.stdout) as { id: string; secret: string; events: string[] };
    expect(hook.secret).toMatch(/^whsec_/);
    expect(hook.events).toEqual(["token.created", "role.updated"]);
    expect(created.stderr).toContain("only time");
    rx.state.secret = hook.secret;

    const list = await user.run(["webhooks", "list"], { env });
    expect(list.stdout).toContain(hook.id);
    expect(list.stdout).not.toContain(hook.secret);

    const test = await user.run(["webhooks", "test", hook.id, "-o", "json"], { env });
    const delivery = JSON.parse(test.stdout) as { id: string };
    const [got] = await rx.waitFor((r) => r.id === delivery.id);
    expect(got?.verified).toBe(true);
    await expect
      .poll(async () => (await user.run(["webhooks", "deliveries", hook.id], { env })).stdout, { timeout: 5000, interval: 200 })
      .toMatch(new RegExp(`${delivery.id}\\s+webhook.test\\s+delivered`));

    const paused = await user.run(["webhooks", "update", hook.id, "--disable"], { env });
    expect(paused.stdout).toContain("paused");
    const bad = await user.run(["webhooks", "create", "ftp://example.com", "--events", "token.created"], { env });
    expect(bad.code).toBe(1);
    const deleted = await user.run(["-y", "webhooks", "delete", hook.id], { env });
    expect(deleted.code, deleted.stderr).toBe(0);
    expect((await user.run(["webhooks", "list"], { env })).stdout).not.toContain(hook.id);
  });
});
