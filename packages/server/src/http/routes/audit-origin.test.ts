/**
 * Where an audited action came from (issue 21, item 5): the console's requests are `ui` (its SDK client sends
 * `x-latchkey-origin: ui` with the session cookie), the CLI's `cli`, anything else `api`; every console action,
 * joining a team through an invitation too.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { events } from "../../test-support/audit.js";
import { dialects } from "../../test-support/databases.js";
import { startHarness, type Harness } from "../../test-support/harness.js";

const UI = { "x-latchkey-origin": "ui", "user-agent": "Mozilla/5.0 (console test)" };

describe.each(dialects())("origin of audited actions on %s", (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind);
  });
  afterAll(() => h.close());

  it("records every console action as ui, the invitee's join through the console too", async () => {
    const ui = async (method: "POST" | "PATCH" | "DELETE", url: string, body?: unknown) => {
      const res = await h.owner.request(method, url, body, UI);
      if (res.status !== 200) throw new Error(`${method} ${url} -> ${res.status} ${res.raw}`);
      return res.body.data as Record<string, unknown>;
    };
    await ui("POST", "/v1/teams", { name: "Acme" });
    await ui("POST", "/v1/teams/acme/roles", { name: "Reader", permissions: { teamScope: ["team.read"] } });
    await ui("PATCH", "/v1/teams/acme/roles/reader", { description: "reads" });
    await ui("POST", "/v1/teams/acme/projects", { name: "Site" });
    const made = (await ui("POST", "/v1/teams/acme/tokens", { name: "ci", roleId: "reader" })) as { apiToken: { id: string } };
    await ui("DELETE", `/v1/teams/acme/tokens/${made.apiToken.id}`);
    await ui("POST", "/v1/teams/acme/members", { email: "new@example.com", roles: ["reader"] });
    // The invitee accepts on the console's page: no session yet, the request itself says where it comes from.
    const joined = await h.anon.request(
      "POST",
      "/v1/invitations/confirm",
      { token: h.outbox.confirmTokenFor("new@example.com"), name: "New", password: "a long enough password" },
      UI,
    );
    expect(joined.status).toBe(200);

    const feed = await events(h.owner, "/v1/teams/acme/audit-logs?per_page=100");
    expect(feed.map((e) => e.eventType).sort()).toEqual(
      [
        "apiTokens.create",
        "apiTokens.revoke",
        "members.invite",
        "members.join",
        "projects.create",
        "roles.create",
        "roles.update",
        "teams.create",
      ].sort(),
    );
    expect(feed.filter((e) => e.origin !== "ui").map((e) => [e.eventType, e.origin])).toEqual([]);
    const join = feed.find((e) => e.eventType === "members.join") as unknown as { ip: string; userAgent: string; path: string };
    expect(join).toMatchObject({ ip: "127.0.0.1", userAgent: UI["user-agent"], path: "/v1/invitations/confirm" });
  });

  it("records the CLI's requests as cli, a bare API call as api, and a token that claims to be the console as api", async () => {
    await h.owner.ok("POST", "/v1/teams", { name: "Origins" });
    const { token, apiToken } = await h.owner.ok<{ token: string; apiToken: { id: string } }>("POST", "/v1/teams/origins/tokens", {
      name: "cli",
      roleId: "default",
    });
    const t = h.client({ bearer: token });
    expect((await t.request("GET", "/v1/projects/by-cli", undefined, { "x-latchkey-origin": "cli" })).status).toBe(404);
    expect((await t.request("GET", "/v1/projects/by-api")).status).toBe(404);
    expect((await t.request("GET", "/v1/projects/claims-ui", undefined, { "x-latchkey-origin": "ui" })).status).toBe(404);
    expect((await t.request("GET", "/v1/projects/odd", undefined, { "x-latchkey-origin": "browser" })).status).toBe(404);
    await h.services.audit.buffer.flush();
    const own = await events(h.owner, `/v1/teams/origins/tokens/${apiToken.id}/audit-logs?eventType=request`);
    expect(own.map((e) => [e.path, e.origin])).toEqual([
      ["/v1/projects/odd", "api"],
      ["/v1/projects/claims-ui", "api"],
      ["/v1/projects/by-api", "api"],
      ["/v1/projects/by-cli", "cli"],
    ]);
    // A session without the console's header (a script that signed in, as the README's curl walkthrough does): api.
    await h.owner.ok("POST", "/v1/teams/origins/projects", { name: "Scripted" });
    const [created] = await events(h.owner, "/v1/teams/origins/audit-logs?eventType=projects.create");
    expect(created?.origin).toBe("api");
  });
});
