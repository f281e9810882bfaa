import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../test-support/harness.js";

// SQLite only: the mapping from recorded changes to webhook events, through the same recorder the services use.
describe("webhook events from recorded changes", () => {
  let h: Harness;
  let webhookId = "";
  beforeAll(async () => {
    h = await startHarness("sqlite", { LATCHKEY_WEBHOOKS_ALLOW_PRIVATE: "true" });
    await h.owner.ok("POST", "/v1/teams", { name: "Leaky" });
    webhookId = (
      await h.owner.ok<{ id: string }>("POST", "/v1/teams/leaky/webhooks", { url: "http://127.0.0.1:9/", events: ["token.leaked"] })
    ).id;
  });
  afterAll(() => h.close());

  it("a leaked-token revocation enqueues token.leaked in its transaction, without the reporter's address; a rollback enqueues nothing", async () => {
    const { announcingRecorder } = await import("./webhook-events.js");
    const record = announcingRecorder(h.services.audit.change, () => new Date());
    const entity = { type: "team" as const, id: "leaky" };
    const change = {
      after: { revokedAt: "2026-01-01T00:00:00.000Z", source: "github", reporterIp: "203.0.113.9", url: "https://github.com/x" },
    };
    await h.services.store.transaction((tx) =>
      record(tx, { principal: null, entity, event: "apiTokens.leaked", resource: { type: "apiTokens", id: "tok_x" }, change }),
    );
    await h.services.store
      .transaction(async (tx) => {
        await record(tx, {
          principal: null,
          entity,
          event: "apiTokens.leaked",
          resource: { type: "apiTokens", id: "tok_rolled_back" },
          change,
        });
        throw new Error("roll back");
      })
      .catch(() => undefined);
    const page = await h.services.store.webhooks.deliveries(webhookId, { perPage: 10 });
    expect(page.items).toHaveLength(1);
    const payload = JSON.parse(page.items[0]!.payload) as { type: string; data: Record<string, unknown> };
    expect(payload).toMatchObject({
      type: "token.leaked",
      data: { token: { id: "tok_x" }, source: "github", url: "https://github.com/x" },
    });
    expect(page.items[0]!.payload).not.toContain("203.0.113.9");
  });
});
