import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../test-support/databases.js";
import { startHarness, type Harness } from "../test-support/harness.js";
import { startReceiver, type Receiver } from "../test-support/webhook-receiver.js";
import { message } from "./webhook-events.js";
import { MAX_IN_FLIGHT_PER_WEBHOOK } from "./webhook-worker.js";

/** More than one process sends at once (64): without a cap per webhook, one endpoint's messages would take every place. */
const QUEUED = 70;

describe.each(dialects())("the webhook worker, on %s", (kind) => {
  let h: Harness;
  let stuck: Receiver;
  let fine: Receiver;

  beforeAll(async () => {
    stuck = await startReceiver();
    stuck.state.respond = () => "hang";
    fine = await startReceiver();
    h = await startHarness(kind, { LATCHKEY_WEBHOOKS_ALLOW_PRIVATE: "true" });
  });
  afterAll(async () => {
    stuck.release();
    await stuck.close();
    await h.close();
    await fine.close();
  });

  it("gives a hanging endpoint at most its cap of places; other webhooks' messages go out at once, the rest wait unclaimed", async () => {
    await h.owner.ok("POST", "/v1/teams", { name: "Stuck" });
    await h.owner.ok("POST", "/v1/teams", { name: "Fine" });
    const stuckHook = await h.owner.ok<{ id: string; secret: string }>("POST", "/v1/teams/stuck/webhooks", {
      url: stuck.url,
      events: ["token.created"],
    });
    stuck.state.secret = stuckHook.secret;
    const fineHook = await h.owner.ok<{ secret: string }>("POST", "/v1/teams/fine/webhooks", { url: fine.url, events: ["token.created"] });
    fine.state.secret = fineHook.secret;
    const row = await h.services.store.webhooks.byId(stuckHook.id);
    // Due one millisecond apart, oldest first.
    const since = Date.now() - 60_000;
    const queued = Array.from({ length: QUEUED }, (_, i) => message(row!, "webhook.test", { n: i }, new Date(since + i)));
    await h.services.store.transaction(async (tx) => {
      await tx.webhooks.enqueue(queued);
      await tx.publish({ t: "webhooks" });
    });
    await stuck.waitFor(() => true, MAX_IN_FLIGHT_PER_WEBHOOK);

    for (let i = 0; i < 3; i++) await h.owner.ok("POST", "/v1/teams/fine/tokens", { name: `t${i}`, roleId: "default" });
    // Well within the 10 s send timeout the stuck endpoint's places are held for.
    const arrived = await fine.waitFor((r) => r.body.type === "token.created", 3, 3000);
    expect(arrived.every((r) => r.verified)).toBe(true);

    // The stuck webhook holds its cap with its oldest messages; the others stay pending, no attempt counted.
    const ids = (from: number, to: number) => queued.slice(from, to).map((m) => m.id);
    const state = async () =>
      (await Promise.all(queued.map((m) => h.services.store.webhooks.deliveryById(m.id)))).map((d) => `${d?.status}:${d?.attempt}`);
    const cap = MAX_IN_FLIGHT_PER_WEBHOOK;
    expect(stuck.received.map((r) => r.id).sort()).toEqual(ids(0, cap).sort());
    expect(await state()).toEqual([...Array<string>(cap).fill("pending:1"), ...Array<string>(QUEUED - cap).fill("pending:0")]);

    // Answered, the places go to its next messages in order, again no more than the cap.
    stuck.release();
    await stuck.waitFor(() => true, 2 * cap);
    expect(
      stuck.received
        .slice(cap)
        .map((r) => r.id)
        .sort(),
    ).toEqual(ids(cap, 2 * cap).sort());
    expect(await state()).toEqual([
      ...Array<string>(cap).fill("delivered:1"),
      ...Array<string>(cap).fill("pending:1"),
      ...Array<string>(QUEUED - 2 * cap).fill("pending:0"),
    ]);

    // Once it answers at once, everything is delivered on its first attempt.
    stuck.state.respond = () => 204;
    stuck.release();
    await stuck.waitFor(() => true, QUEUED, 10_000);
    await h.services.webhookWorker.run();
    expect(await state()).toEqual(Array<string>(QUEUED).fill("delivered:1"));
  });
});
