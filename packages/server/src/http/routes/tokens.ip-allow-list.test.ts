import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { events } from "../../test-support/audit.js";
import { dialects } from "../../test-support/databases.js";
import { startHarness, type Harness } from "../../test-support/harness.js";

interface Meta {
  id: string;
  allowedIps: string[];
}
interface Created {
  apiToken: Meta;
  token: string;
}

describe.each(dialects())("per-token IP allow-lists on %s", (kind) => {
  let h: Harness;
  const team = "/v1/teams/acme";
  const from = async (token: string, remoteAddress: string, url = "/v1/projects") => {
    const res = await h.app.inject({ method: "GET", url, remoteAddress, headers: { authorization: `Bearer ${token}` } });
    return { status: res.statusCode, body: JSON.parse(res.body) as { error?: { code: string; message: string; details?: unknown } } };
  };

  beforeAll(async () => {
    h = await startHarness(kind);
    await h.owner.ok("POST", "/v1/teams", { name: "Acme" });
  });
  afterAll(() => h.close());

  it("lets a token act only from its listed IPv4 and IPv6 blocks, IPv4-mapped IPv6 included; 403 IP_NOT_ALLOWED otherwise", async () => {
    const allowedIps = ["203.0.113.0/24", "2001:db8::/32", "192.0.2.10"];
    const { apiToken, token } = await h.owner.ok<Created>("POST", `${team}/tokens`, { name: "ci", roleId: "default", allowedIps });
    expect(apiToken.allowedIps).toEqual(allowedIps);
    const cases: [string, number][] = [
      ["203.0.113.1", 200],
      ["203.0.113.255", 200],
      ["::ffff:203.0.113.77", 200],
      ["2001:db8::1", 200],
      ["2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 200],
      ["192.0.2.10", 200],
      ["::ffff:192.0.2.10", 200],
      ["203.0.114.1", 403],
      ["192.0.2.11", 403],
      ["::ffff:198.51.100.1", 403],
      ["2001:db9::1", 403],
      ["::1", 403],
      ["127.0.0.1", 403],
    ];
    for (const [ip, status] of cases) {
      const res = await from(token, ip);
      expect(res.status, ip).toBe(status);
      if (status === 403) {
        expect(res.body.error?.code).toBe("IP_NOT_ALLOWED");
        expect(JSON.stringify(res.body)).not.toContain("203.0.113.0/24");
      }
    }
    // Audited on the token's own feed, with the address.
    await h.services.audit.buffer.flush();
    const feed = await events(h.owner, `${team}/tokens/${apiToken.id}/audit-logs?eventType=request`);
    const denied = feed.filter((e) => e.status === 403);
    expect(denied.length).toBe(6);
    expect(denied.every((e) => e.outcome === "denied")).toBe(true);
    expect(JSON.stringify(denied)).toContain("2001:db9::1");
  });

  it("takes effect at once when PATCHed (the verifier reloads the token), and an empty list allows any address", async () => {
    const { apiToken, token } = await h.owner.ok<Created>("POST", `${team}/tokens`, { name: "edited", roleId: "default" });
    expect(apiToken.allowedIps).toEqual([]);
    expect((await from(token, "198.51.100.1")).status).toBe(200);
    const narrowed = await h.owner.ok<Meta>("PATCH", `${team}/tokens/${apiToken.id}`, { allowedIps: ["10.0.0.0/8"] });
    expect(narrowed.allowedIps).toEqual(["10.0.0.0/8"]);
    expect((await from(token, "198.51.100.1")).status).toBe(403);
    expect((await from(token, "10.1.2.3")).status).toBe(200);
    // A rename leaves the list alone.
    expect((await h.owner.ok<Meta>("PATCH", `${team}/tokens/${apiToken.id}`, { name: "renamed" })).allowedIps).toEqual(["10.0.0.0/8"]);
    await h.owner.ok("PATCH", `${team}/tokens/${apiToken.id}`, { allowedIps: [] });
    expect((await from(token, "198.51.100.1")).status).toBe(200);
    const changes = await events(h.owner, `${team}/audit-logs?eventType=apiTokens.update`);
    expect(changes.some((e) => JSON.stringify(e.details).includes("10.0.0.0/8"))).toBe(true);
  });

  it("accepts an IPv6 block of IPv4-mapped addresses for IPv4 clients", async () => {
    const { token } = await h.owner.ok<Created>("POST", `${team}/tokens`, {
      name: "mapped",
      roleId: "default",
      allowedIps: ["::ffff:192.0.2.0/120"],
    });
    expect((await from(token, "192.0.2.200")).status).toBe(200);
    expect((await from(token, "::ffff:192.0.2.1")).status).toBe(200);
    expect((await from(token, "192.0.3.1")).status).toBe(403);
  });

  it("refuses malformed lists with 400 naming the field", async () => {
    const bad = [
      ["300.1.1.1/24"],
      ["10.0.0.0/33"],
      ["2001:db8::/129"],
      ["not-an-ip"],
      ["01.2.3.4"],
      ["10.0.0.0/-1"],
      ["2001:db8:::1"],
      ["fe80::1%eth0"],
      [42],
      "10.0.0.0/8",
      Array.from({ length: 101 }, (_, i) => `10.0.${i}.0/24`),
      ["1".repeat(100)],
    ];
    for (const allowedIps of bad) {
      const res = await h.owner.post(`${team}/tokens`, { name: "bad", roleId: "default", allowedIps });
      expect(res.status, JSON.stringify(allowedIps).slice(0, 60)).toBe(400);
      expect(Object.keys((res.body.error?.details as { fields: Record<string, string> }).fields).join()).toMatch(/allowedIps/);
    }
  });
});
