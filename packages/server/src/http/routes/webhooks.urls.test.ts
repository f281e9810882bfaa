import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isForbiddenAddress } from "../../services/webhook-urls.js";
import { startHarness, type Harness } from "../../test-support/harness.js";
import { startReceiver, type Receiver } from "../../test-support/webhook-receiver.js";
import { seal } from "../../lib/sealed.js";

describe("webhook addresses", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.8.9.10", true],
    ["10.1.2.3", true],
    ["172.16.0.1", true],
    ["172.31.255.255", true],
    ["192.168.1.1", true],
    ["169.254.169.254", true],
    ["100.64.0.1", true],
    ["0.0.0.0", true],
    ["::1", true],
    ["::", true],
    ["fe80::1", true],
    ["fd12:3456::1", true],
    ["::ffff:127.0.0.1", true],
    ["::ffff:10.0.0.1", true],
    ["not an address", true],
    ["8.8.8.8", false],
    ["172.32.0.1", false],
    ["2606:4700:4700::1111", false],
    ["::ffff:8.8.8.8", false],
  ])("%s forbidden: %s", (address, forbidden) => {
    expect(isForbiddenAddress(address)).toBe(forbidden);
  });
});

// SQLite only: what is tested here is the server's address check, not the store.
describe("webhook URLs without LATCHKEY_WEBHOOKS_ALLOW_PRIVATE", () => {
  let h: Harness;
  let rx: Receiver;
  beforeAll(async () => {
    rx = await startReceiver();
    h = await startHarness("sqlite");
    await h.owner.ok("POST", "/v1/teams", { name: "Net" });
  });
  afterAll(async () => {
    await rx.close();
    await h.close();
  });

  it.each([
    "http://127.0.0.1:9/hook",
    "http://localhost/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "https://10.0.0.5/",
    "https://192.168.0.10/",
    "http://169.254.169.254/latest/meta-data",
    "http://0.0.0.0/",
    "http://2130706433/",
    "http://latchkey.test/v1/teams",
    "file:///etc/passwd",
    "javascript:alert(1)",
  ])("refuses %s with 400", async (url) => {
    const res = await h.owner.post("/v1/teams/net/webhooks", { url, events: ["token.created"] });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe("VALIDATION_FAILED");
    const patched = await h.owner.get("/v1/teams/net/webhooks");
    expect((patched.body.data as { webhooks: unknown[] }).webhooks).toEqual([]);
  });

  it("checks again at delivery time: a stored URL that now points at a private address is not contacted", async () => {
    // As if DNS had changed since the URL was accepted (rebinding): the row is written straight to the store.
    const at = new Date().toISOString();
    for (const [id, url] of [
      ["whk_rebound", rx.url],
      ["whk_rebound_name", `http://localhost:${rx.port}/hook`],
    ] as const) {
      await h.services.store.webhooks.insert({
        id,
        entity_type: "team",
        entity_id: "net",
        url,
        events: JSON.stringify(["token.created"]),
        description: "",
        secret: seal(h.config.masterKey, Buffer.from(`whsec_${Buffer.alloc(32, 1).toString("base64")}`)),
        enabled: 1,
        created_at: at,
        updated_at: at,
      });
      const test = await h.owner.ok<{ id: string }>("POST", `/v1/teams/net/webhooks/${id}/test`, {});
      await h.services.webhookWorker.run();
      const { deliveries } = await h.owner.ok<{ deliveries: { id: string; status: string; lastError: string }[] }>(
        "GET",
        `/v1/teams/net/webhooks/${id}/deliveries`,
      );
      expect(deliveries[0]).toMatchObject({ id: test.id, status: "pending" });
      expect(deliveries[0]?.lastError).toMatch(/loopback, private or link-local/);
    }
    expect(rx.received).toHaveLength(0);
  });
});
