import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { events } from "../../test-support/audit.js";
import { dialects } from "../../test-support/databases.js";
import { startHarness, type Harness } from "../../test-support/harness.js";
import { startReceiver, type Receiver } from "../../test-support/webhook-receiver.js";

interface Meta {
  id: string;
  creatorLeft: boolean;
  creatorEmail: string;
}
interface Created {
  apiToken: Meta;
  token: string;
}
interface Orphaned {
  token: { id: string; name: string; entityType: string; entityId: string; creatorLeft: boolean };
  creator: { id: string; email: string };
  leftFrom: { entityType: string; entityId: string };
}

describe.each(dialects())("tokens whose creator left, on %s", (kind) => {
  let h: Harness;
  let rx: Receiver;
  const works = async (token: string) => (await h.client({ bearer: token }).get("/v1/login")).status;
  const listed = async (path: string) => (await h.owner.ok<{ apiTokens: Meta[] }>("GET", `${path}/tokens`)).apiTokens;
  /** A webhook of `path` to the receiver, taking `types`. */
  const hook = async (path: string, types: string[]) =>
    (await h.owner.ok<{ id: string }>("POST", `${path}/webhooks`, { url: rx.url, events: types })).id;
  /** The webhook's outbox messages of `type`, by their payload's data (committed with the change that made them). */
  const outbox = async (path: string, id: string, type: string) => {
    const { deliveries } = await h.owner.ok<{ deliveries: { eventType: string; payload: { type: string; data: Orphaned } }[] }>(
      "GET",
      `${path}/webhooks/${id}/deliveries?per_page=100`,
    );
    return deliveries.filter((d) => d.eventType === type).map((d) => d.payload.data);
  };

  beforeAll(async () => {
    rx = await startReceiver();
    h = await startHarness(kind, { LATCHKEY_WEBHOOKS_ALLOW_PRIVATE: "true" });
    await h.owner.ok("POST", "/v1/teams", { name: "Acme" });
    await h.owner.ok("POST", "/v1/orgs", { name: "Umbrella" });
    await h.owner.ok("POST", "/v1/orgs/umbrella/teams", { name: "Ops" });
  });
  afterAll(async () => {
    await h.close();
    await rx.close();
  });

  it("keeps a departed team member's tokens working, flags them in lists, audits them and announces token.orphaned", async () => {
    const subscribed = await hook("/v1/teams/acme", ["token.orphaned"]);
    const other = await hook("/v1/teams/acme", ["token.created", "token.revoked"]);
    const member = await h.newMember(h.owner, "/v1/teams/acme", ["admin"], "leaver@example.com");
    const theirs = await member.ok<Created>("POST", "/v1/teams/acme/tokens", { name: "theirs", roleId: "default" });
    const revoked = await member.ok<Created>("POST", "/v1/teams/acme/tokens", { name: "revoked before", roleId: "default" });
    await h.owner.ok("DELETE", `/v1/teams/acme/tokens/${revoked.apiToken.id}`);
    const ours = await h.owner.ok<Created>("POST", "/v1/teams/acme/tokens", { name: "ours", roleId: "default" });
    expect(theirs.apiToken.creatorLeft).toBe(false);

    await h.owner.ok("DELETE", `/v1/teams/acme/members/${member.userId}`);

    expect(await works(theirs.token)).toBe(200);
    const list = await listed("/v1/teams/acme");
    expect(list.find((t) => t.id === theirs.apiToken.id)).toMatchObject({ creatorLeft: true, creatorEmail: "leaver@example.com" });
    expect(list.find((t) => t.id === ours.apiToken.id)?.creatorLeft).toBe(false);
    const feed = await events(h.owner, "/v1/teams/acme/audit-logs?eventType=apiTokens.orphaned");
    expect(feed.map((e) => e.resource.id)).toEqual([theirs.apiToken.id]);
    expect(feed[0]?.details.after).toMatchObject({ creatorLeft: true, creatorEmail: "leaver@example.com", leftFrom: "team:acme" });
    // The subscribed webhook's outbox holds one message for the live token, naming its creator; the other webhook's
    // (which took the tokens' creation) none.
    expect(await outbox("/v1/teams/acme", subscribed, "token.orphaned")).toEqual([
      {
        token: { id: theirs.apiToken.id, name: "theirs", entityType: "team", entityId: "acme", creatorLeft: true },
        creator: { id: member.userId, email: "leaver@example.com" },
        leftFrom: { entityType: "team", entityId: "acme" },
      },
    ]);
    expect(await outbox("/v1/teams/acme", other, "token.orphaned")).toEqual([]);
    expect(await outbox("/v1/teams/acme", other, "token.created")).toHaveLength(3);
    const [got] = await rx.waitFor((r) => r.body.type === "token.orphaned");
    expect(got?.body.data["token"]).toMatchObject({ id: theirs.apiToken.id });
    // An admin decides: revoking works as for any token.
    await h.owner.ok("DELETE", `/v1/teams/acme/tokens/${theirs.apiToken.id}`);
    expect(await works(theirs.token)).toBe(401);
  });

  it("leaving an organisation flags the tokens made in it and in its teams; its webhooks hear of both", async () => {
    const orgHook = await hook("/v1/orgs/umbrella", ["token.orphaned"]);
    const teamHook = await hook("/v1/teams/ops", ["token.orphaned"]);
    const member = await h.newMember(h.owner, "/v1/orgs/umbrella", ["admin"], "org-leaver@example.com");
    const orgToken = await member.ok<Created>("POST", "/v1/orgs/umbrella/tokens", { name: "org", roleId: "member" });
    const teamToken = await member.ok<Created>("POST", "/v1/teams/ops/tokens", { name: "ops", roleId: "default" });
    await h.owner.ok("DELETE", `/v1/orgs/umbrella/members/${member.userId}`);
    expect((await listed("/v1/orgs/umbrella")).find((t) => t.id === orgToken.apiToken.id)?.creatorLeft).toBe(true);
    expect((await listed("/v1/teams/ops")).find((t) => t.id === teamToken.apiToken.id)?.creatorLeft).toBe(true);
    const toOrg = await outbox("/v1/orgs/umbrella", orgHook, "token.orphaned");
    expect(toOrg.map((d) => d.token.id).sort()).toEqual([orgToken.apiToken.id, teamToken.apiToken.id].sort());
    expect(toOrg.find((d) => d.token.id === teamToken.apiToken.id)).toEqual({
      token: { id: teamToken.apiToken.id, name: "ops", entityType: "team", entityId: "ops", creatorLeft: true },
      creator: { id: member.userId, email: "org-leaver@example.com" },
      leftFrom: { entityType: "org", entityId: "umbrella" },
    });
    // The team's own webhook hears of the team's token only.
    expect((await outbox("/v1/teams/ops", teamHook, "token.orphaned")).map((d) => d.token.id)).toEqual([teamToken.apiToken.id]);
    expect(await works(orgToken.token)).toBe(200);
    expect(await works(teamToken.token)).toBe(200);
  });
});
