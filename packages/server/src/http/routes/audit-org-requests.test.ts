/**
 * Requests an organisation's token makes against one of its teams show in that team's feed too (issue 21, item 5),
 * read from the organisation's segments when the feed is read, a bounded number of segments per page.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { events, writeRequests, type Event } from "../../test-support/audit.js";
import { dialects } from "../../test-support/databases.js";
import { startHarness, type Harness } from "../../test-support/harness.js";

describe.each(dialects())("an organisation token's requests in its teams' feeds on %s", (kind) => {
  let h: Harness;
  let orgTokenId: string;
  let orgToken: string;
  const requestsIn = async (path: string, query = "") =>
    (await events(h.owner, `${path}/audit-logs?per_page=100&eventType=request&tokenId=${orgTokenId}${query}`)).map((e) => [
      e.method,
      e.path,
      e.status,
    ]);

  beforeAll(async () => {
    h = await startHarness(kind);
    await h.owner.ok("POST", "/v1/orgs", { name: "Globex" });
    for (const name of ["Web", "Api"]) await h.owner.ok("POST", "/v1/orgs/globex/teams", { name });
    await h.owner.ok("POST", "/v1/teams", { name: "Solo" });
    const made = await h.owner.ok<{ token: string; apiToken: { id: string } }>("POST", "/v1/orgs/globex/tokens", {
      name: "org-reader",
      roleId: "admin",
    });
    orgToken = made.token;
    orgTokenId = made.apiToken.id;
    const t = h.client({ bearer: orgToken });
    expect((await t.get("/v1/teams/web/projects")).status).toBe(200);
    expect((await t.get("/v1/teams/web/projects/nope")).status).toBe(404);
    expect((await t.get("/v1/teams/api/projects")).status).toBe(200);
    expect((await t.get("/v1/teams")).status).toBe(200);
    // Percent-encoded as a client may send it: the router decodes the team, and so does the feed.
    expect((await t.get("/v1/teams/w%65b")).status).toBe(200);
    expect((await t.get("/v1/teams/solo/projects")).status).toBe(404);
    await h.services.audit.buffer.flush();
  });
  afterAll(() => h.close());

  it("lists them in the team they named, and only there; the organisation's feed keeps them all", async () => {
    expect(await requestsIn("/v1/teams/web")).toEqual([
      ["GET", "/v1/teams/w%65b", 200],
      ["GET", "/v1/teams/web/projects/nope", 404],
      ["GET", "/v1/teams/web/projects", 200],
    ]);
    expect(await requestsIn("/v1/teams/api")).toEqual([["GET", "/v1/teams/api/projects", 200]]);
    // Solo is no team of the organisation: the token's refused request is not its business.
    expect(await requestsIn("/v1/teams/solo")).toEqual([]);
    expect((await requestsIn("/v1/orgs/globex")).map((r) => r[1])).toEqual([
      "/v1/teams/solo/projects",
      "/v1/teams/w%65b",
      "/v1/teams",
      "/v1/teams/api/projects",
      "/v1/teams/web/projects/nope",
      "/v1/teams/web/projects",
    ]);
  });

  it("merges them with the team's own events, newest first, page after page, each once, with the token's name", async () => {
    const { token } = await h.owner.ok<{ token: string }>("POST", "/v1/teams/web/tokens", { name: "web-ci", roleId: "default" });
    expect((await h.client({ bearer: token }).get("/v1/projects")).status).toBe(200);
    expect((await h.client({ bearer: orgToken }).get("/v1/teams/web/projects")).status).toBe(200);
    await h.services.audit.buffer.flush();
    const all = await events(h.owner, "/v1/teams/web/audit-logs?per_page=100");
    const kinds = all.map((e) => `${e.eventType} ${e.actor.name ?? ""}`);
    expect(kinds.slice(0, 3)).toEqual(["request org-reader", "request web-ci", "apiTokens.create owner"]);
    expect(kinds).toContain("teams.create owner");
    const keys = all.map((e) => `${(e as Event & { at: string }).at} ${e.id}`);
    expect(keys).toEqual([...keys].sort().reverse());
    const paged: string[] = [];
    let cursor = "";
    do {
      const res = await h.owner.get(`/v1/teams/web/audit-logs?per_page=2${cursor ? `&cursor=${cursor}` : ""}`);
      paged.push(...(res.body.data as { auditLogs: Event[] }).auditLogs.map((e) => e.id));
      cursor = res.body.pagination?.cursor ?? "";
    } while (cursor);
    expect(paged).toEqual(all.map((e) => e.id));
  });

  it("follows the filters: a type prefix that no request has, an outcome, the JSON lines export", async () => {
    expect((await events(h.owner, "/v1/teams/web/audit-logs?per_page=100&eventType=teams")).map((e) => e.eventType)).toEqual([
      "teams.create",
    ]);
    expect(await requestsIn("/v1/teams/web", "&outcome=failed")).toEqual([["GET", "/v1/teams/web/projects/nope", 404]]);
    const res = await h.owner.get(`/v1/teams/web/audit-logs?format=jsonl&tokenId=${orgTokenId}`);
    expect(res.raw.trim().split("\n")).toHaveLength(4);
  });

  it("reads a bounded number of the organisation's segments per page when most of them concern other teams", async () => {
    // 200 segments of the token's requests against another team, all newer than its last request against web.
    await writeRequests(h, orgTokenId, 200, {
      perSegment: 1,
      each: (draft) => {
        draft.entity_type = "org";
        draft.entity_id = "globex";
        draft.path = "/v1/teams/api/projects";
      },
    });
    const first = await h.owner.get(`/v1/teams/web/audit-logs?per_page=10&tokenId=${orgTokenId}`);
    // Past its share of segments the page answers with what it is sure of (nothing here) and where to go on from.
    expect((first.body.data as { auditLogs: Event[] }).auditLogs).toEqual([]);
    expect(first.body.pagination).toMatchObject({ hasNextPage: true });
    let cursor = first.body.pagination?.cursor ?? "";
    const found: Event[] = [];
    let pages = 1;
    while (cursor) {
      const res = await h.owner.get(`/v1/teams/web/audit-logs?per_page=10&tokenId=${orgTokenId}&cursor=${cursor}`);
      found.push(...(res.body.data as { auditLogs: Event[] }).auditLogs);
      cursor = res.body.pagination?.cursor ?? "";
      pages++;
    }
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(found.map((e) => e.path)).toEqual([
      "/v1/teams/web/projects",
      "/v1/teams/w%65b",
      "/v1/teams/web/projects/nope",
      "/v1/teams/web/projects",
    ]);
  });
});
