import { afterAll, beforeAll, describe, expect, it } from "vitest";
// The server's own test harness, listening on a real port, and a real receiver that verifies every signature.
import { OWNER_EMAIL, OWNER_PASSWORD, startHarness, type Harness } from "../../server/src/test-support/harness.js";
import { startReceiver, type Receiver } from "../../server/src/test-support/webhook-receiver.js";
import { ApiError, LatchkeyClient } from "./index.js";

describe("LatchkeyClient webhooks", () => {
  let h: Harness;
  let rx: Receiver;
  let owner: LatchkeyClient;

  beforeAll(async () => {
    rx = await startReceiver();
    h = await startHarness("sqlite", { LATCHKEY_WEBHOOKS_ALLOW_PRIVATE: "true" });
    owner = new LatchkeyClient({ baseUrl: await h.app.listen({ port: 0, host: "127.0.0.1" }), origin: "cli" });
    await owner.session.signIn(OWNER_EMAIL, OWNER_PASSWORD);
    await owner.teams.create({ name: "Hooks" });
  });
  afterAll(async () => {
    await rx.close();
    await h.close();
  });

  it("adds, lists, tests, inspects, changes and deletes a webhook", async () => {
    const hooks = owner.webhooks({ type: "team", id: "hooks" });
    const created = await hooks.create({ url: rx.url, events: ["token.created"] });
    expect(created.secret).toMatch(/^whsec_/);
    rx.state.secret = created.secret;
    expect((await hooks.all()).map((w) => w.id)).toEqual([created.id]);
    const sent = await hooks.test(created.id);
    const [got] = await rx.waitFor((r) => r.id === sent.id);
    expect(got?.verified).toBe(true);
    await h.services.webhookWorker.run();
    const page = await hooks.deliveries(created.id);
    expect(page.items[0]).toMatchObject({ id: sent.id, eventType: "webhook.test", status: "delivered", lastStatusCode: 204 });
    expect(await hooks.update(created.id, { enabled: false })).toMatchObject({ enabled: false });
    expect(await hooks.delete(created.id)).toEqual({ id: created.id, deleted: true });
    const gone = await hooks.get(created.id).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(ApiError);
    expect(gone).toMatchObject({ status: 404 });
  });
});
