import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DomainEvent } from "../../services/domain-events.js";
import { events } from "../../test-support/audit.js";
import { dialects } from "../../test-support/databases.js";
import { startHarness, type Harness } from "../../test-support/harness.js";

interface Meta {
  id: string;
  creatorLeft: boolean;
  creatorEmail: string;
}
interface Created {
  apiToken: Meta;
  token: string;
}

describe.each(dialects())("tokens whose creator left, on %s", (kind) => {
  let h: Harness;
  const announced: DomainEvent[] = [];
  const works = async (token: string) => (await h.client({ bearer: token }).get("/v1/login")).status;
  const listed = async (path: string) => (await h.owner.ok<{ apiTokens: Meta[] }>("GET", `${path}/tokens`)).apiTokens;

  beforeAll(async () => {
    h = await startHarness(kind);
    h.services.events.subscribe((_tx, event) => {
      announced.push(event);
      return Promise.resolve();
    });
    await h.owner.ok("POST", "/v1/teams", { name: "Acme" });
    await h.owner.ok("POST", "/v1/orgs", { name: "Umbrella" });
    await h.owner.ok("POST", "/v1/orgs/umbrella/teams", { name: "Ops" });
  });
  afterAll(() => h.close());

  it("keeps a departed team member's tokens working, flags them in lists, audits and announces them", async () => {
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
    expect(announced.filter((e) => e.type === "token.orphaned").map((e) => e.tokenId)).toEqual([theirs.apiToken.id]);
    // An admin decides: revoking works as for any token.
    await h.owner.ok("DELETE", `/v1/teams/acme/tokens/${theirs.apiToken.id}`);
    expect(await works(theirs.token)).toBe(401);
  });

  it("leaving an organisation flags the tokens made in it and in its teams", async () => {
    announced.length = 0;
    const member = await h.newMember(h.owner, "/v1/orgs/umbrella", ["admin"], "org-leaver@example.com");
    const orgToken = await member.ok<Created>("POST", "/v1/orgs/umbrella/tokens", { name: "org", roleId: "member" });
    const teamToken = await member.ok<Created>("POST", "/v1/teams/ops/tokens", { name: "ops", roleId: "default" });
    await h.owner.ok("DELETE", `/v1/orgs/umbrella/members/${member.userId}`);
    expect((await listed("/v1/orgs/umbrella")).find((t) => t.id === orgToken.apiToken.id)?.creatorLeft).toBe(true);
    expect((await listed("/v1/teams/ops")).find((t) => t.id === teamToken.apiToken.id)?.creatorLeft).toBe(true);
    expect(announced.map((e) => e.tokenId).sort()).toEqual([orgToken.apiToken.id, teamToken.apiToken.id].sort());
    expect(await works(orgToken.token)).toBe(200);
    expect(await works(teamToken.token)).toBe(200);
  });
});
