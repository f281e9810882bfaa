import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../test-support/databases.js";
import { startHarness, type Harness } from "../test-support/harness.js";
import { parsePrometheus as parse, sumOf as sum, type Sample } from "../test-support/prometheus.js";

describe.each(dialects())("Prometheus metrics on %s", (kind) => {
  let h: Harness;
  let url: string;
  let token: string;
  let tokenId: string;
  beforeAll(async () => {
    h = await startHarness(kind, { LATCHKEY_METRICS_PORT: "0", LATCHKEY_RATE_LIMIT_PER_HOUR: "5" });
    url = `http://127.0.0.1:${h.metricsPort}/metrics`;
    await h.owner.ok("POST", "/v1/teams", { name: "Observed" });
    await h.owner.ok("POST", "/v1/teams/observed/projects", { name: "Seen" });
    const created = await h.owner.ok<{ token: string; apiToken: { id: string } }>("POST", "/v1/teams/observed/tokens", {
      name: "scraped",
      roleId: "default",
    });
    token = created.token;
    tokenId = created.apiToken.id;
  });
  afterAll(() => h.close());

  const scrape = async (): Promise<Sample[]> => {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    return parse(await res.text());
  };

  it("exposes every metric docs/grafana-dashboard.json asks for (a renamed metric would leave a panel empty)", async () => {
    const res = await fetch(url);
    // Every family the server registers says so in a `# TYPE` line, samples or not; a histogram's series add suffixes.
    const families = new Map([...(await res.text()).matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1] ?? "", m[2] ?? ""]));
    const exposes = (name: string) =>
      families.has(name) ||
      ["_bucket", "_sum", "_count"].some((s) => name.endsWith(s) && families.get(name.slice(0, -s.length)) === "histogram");
    const dashboard = JSON.parse(
      readFileSync(fileURLToPath(new URL("../../../../docs/grafana-dashboard.json", import.meta.url)), "utf8"),
    ) as {
      panels: { title: string; targets?: { expr: string }[] }[];
    };
    const asked = dashboard.panels.flatMap((p) =>
      (p.targets ?? []).flatMap((t) => [...t.expr.matchAll(/\b((?:latchkey|process|nodejs)_\w+)/g)].map((m) => m[1] ?? "")),
    );
    expect(asked.length).toBeGreaterThan(10);
    expect(asked).toContain("latchkey_password_checks_total");
    expect(asked.filter((name) => !exposes(name))).toEqual([]);
  });

  it("counts token decisions, durations by route pattern, rate-limit refusals and audit writes; no id or secret in a label", async () => {
    const before = await scrape();
    const client = h.client({ bearer: token });
    for (let i = 0; i < 3; i++) expect((await client.get("/v1/projects/seen")).status).toBe(200);
    expect((await client.get("/v1/projects/absent")).status).toBe(404);
    expect((await h.client({ bearer: `${token}x` }).get("/v1/projects")).status).toBe(401);
    // The fifth request of the hour is the last one allowed (1 was the 404): then 429.
    expect((await client.get("/v1/projects")).status).toBe(200);
    expect((await client.get("/v1/projects")).status).toBe(429);
    await h.services.audit.buffer.flush();
    const after = await scrape();
    const moved = (name: string, labels: Record<string, string> = {}) => sum(after, name, labels) - sum(before, name, labels);

    expect(moved("latchkey_token_decisions_total", { door: "api", outcome: "allowed" })).toBe(4);
    expect(moved("latchkey_token_decisions_total", { door: "api", outcome: "not_found" })).toBe(1);
    expect(moved("latchkey_token_decisions_total", { door: "api", outcome: "unauthenticated" })).toBe(1);
    expect(moved("latchkey_token_decisions_total", { door: "api", outcome: "rate_limited" })).toBe(1);
    expect(moved("latchkey_rate_limit_refusals_total", { limit: "token" })).toBe(1);
    // Durations by the route's pattern, never the URL that was asked.
    expect(moved("latchkey_http_request_duration_seconds_count", { method: "GET", route: "/v1/projects/:projectId", status: "2xx" })).toBe(
      3,
    );
    expect(moved("latchkey_http_request_duration_seconds_count", { route: "/v1/projects/:projectId", status: "4xx" })).toBe(1);
    expect(after.some((s) => s.labels["route"]?.includes("seen") || s.labels["route"]?.includes("absent"))).toBe(false);
    // Every request event of the token was written, in groups whose sizes and times are counted.
    expect(moved("latchkey_audit_write_group_size_sum")).toBeGreaterThanOrEqual(6);
    expect(moved("latchkey_audit_write_seconds_count")).toBeGreaterThanOrEqual(1);
    expect(sum(after, "latchkey_audit_buffer_depth")).toBe(0);
    expect(sum(after, "latchkey_change_feed_connected")).toBe(1);
    // Node's default metrics.
    expect(after.some((s) => s.name === "process_cpu_user_seconds_total")).toBe(true);
    expect(after.some((s) => s.name === "nodejs_eventloop_lag_seconds")).toBe(true);

    // No label carries a token, a token id, a user id or e-mail, or a session.
    const labels = JSON.stringify(after.map((s) => s.labels));
    for (const secret of [token, tokenId, h.owner.userId, "owner@example.com", "latchkey_session"]) expect(labels).not.toContain(secret);
    // Bounded label values: methods, patterns, classes, doors, outcomes.
    for (const s of after) {
      if (s.labels["status"] !== undefined) expect(s.labels["status"]).toMatch(/^[1-5]xx$/);
      if (s.labels["route"] !== undefined) expect(s.labels["route"] === "unmatched" || s.labels["route"].startsWith("/")).toBe(true);
    }
  });

  it("counts the doors for other services by their own label: forward auth by its reply, check by the checked token's answer", async () => {
    const mint = (name: string, roleId: string) =>
      h.owner.ok<{ token: string }>("POST", "/v1/teams/observed/tokens", { name, roleId }).then((t) => t.token);
    const gated = await mint("gated", "default");
    const verifying = await mint("verifying", "admin");
    const before = await scrape();
    const gateway = h.client({ bearer: gated });
    expect((await gateway.get("/v1/auth/forward?permission=project.read")).status).toBe(200);
    expect((await gateway.get("/v1/auth/forward?permission=project.delete")).status).toBe(403);
    const service = h.client({ bearer: verifying });
    const codeOf = (reply: { body: unknown }) => (reply.body as { data?: { code?: string } }).data?.code;
    expect(codeOf(await service.post("/v1/auth/check", { token: gated, permissions: ["project.read"] }))).toBe("VALID");
    expect(codeOf(await service.post("/v1/auth/check", { token: `${gated}x` }))).toBe("NOT_FOUND");
    const after = await scrape();
    const moved = (labels: Record<string, string>) =>
      sum(after, "latchkey_token_decisions_total", labels) - sum(before, "latchkey_token_decisions_total", labels);
    expect(moved({ door: "forward", outcome: "allowed" })).toBe(1);
    expect(moved({ door: "forward", outcome: "forbidden" })).toBe(1);
    expect(moved({ door: "check", outcome: "allowed" })).toBe(1);
    expect(moved({ door: "check", outcome: "unauthenticated" })).toBe(1);
    // The check calls themselves are the verifying token's own requests: the api door.
    expect(moved({ door: "api", outcome: "allowed" })).toBe(2);
  });

  it("counts password checks by purpose and result, an unknown address's included; no e-mail in a label", async () => {
    const email = `counted-${randomBytes(4).toString("hex")}@example.com`;
    const password = `right-${randomBytes(8).toString("hex")}`;
    const member = await h.newMember(h.owner, "/v1/teams/observed", ["default"], email, password);
    const other = (await h.owner.ok<{ id: string }>("POST", "/v1/teams", { name: "Counted" })).id;
    const invited = await h.owner.ok<{ invitation: { inviteUrl: string } }>("POST", `/v1/teams/${other}/members`, {
      email,
      roles: ["default"],
    });
    const token = new URL(invited.invitation.inviteUrl).searchParams.get("token") ?? "";
    const signIn = (as: string, pw: string) => h.app.inject({ method: "POST", url: "/v1/session", payload: { email: as, password: pw } });
    const before = await scrape();
    expect((await signIn(email, "a wrong password")).statusCode).toBe(401);
    // No such account: the password is checked all the same, against a stand-in hash.
    expect((await signIn(`nobody-${randomBytes(4).toString("hex")}@example.com`, password)).statusCode).toBe(401);
    expect((await signIn(email, password)).statusCode).toBe(200);
    expect((await member.post("/v1/session/password", { currentPassword: "a wrong password", newPassword: "x".repeat(16) })).status).toBe(
      400,
    );
    const accepted = await h.app.inject({
      method: "POST",
      url: "/v1/invitations/accept",
      payload: { token, password: "a wrong password" },
    });
    expect(accepted.statusCode).toBe(403);
    const after = await scrape();
    const moved = (purpose: string, result: string) =>
      sum(after, "latchkey_password_checks_total", { purpose, result }) -
      sum(before, "latchkey_password_checks_total", { purpose, result });
    expect(moved("sign_in", "mismatch")).toBe(2);
    expect(moved("sign_in", "match")).toBe(1);
    expect(moved("password_change", "mismatch")).toBe(1);
    expect(moved("password_change", "match")).toBe(0);
    expect(moved("invitation", "mismatch")).toBe(1);
    expect(moved("invitation", "match")).toBe(0);
    // Six series, there from the start; labels from closed sets, never the address.
    const series = after.filter((s) => s.name === "latchkey_password_checks_total");
    expect(series.map((s) => `${s.labels["purpose"]} ${s.labels["result"]}`).sort()).toEqual([
      "invitation match",
      "invitation mismatch",
      "password_change match",
      "password_change mismatch",
      "sign_in match",
      "sign_in mismatch",
    ]);
    expect(JSON.stringify(after.map((s) => s.labels))).not.toContain("example.com");
  });

  it.runIf(kind === "postgres")("measures the change feed's lag on PostgreSQL", async () => {
    const before = sum(await scrape(), "latchkey_change_feed_lag_seconds_count");
    await h.owner.ok("POST", "/v1/teams/observed/projects", { name: "Lagged" });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sum(await scrape(), "latchkey_change_feed_lag_seconds_count")).toBeGreaterThan(before);
  });

  it("serves only GET /metrics on its port, and the public port has no /metrics", async () => {
    expect((await fetch(url.replace("/metrics", "/healthz"))).status).toBe(404);
    expect((await fetch(url, { method: "POST" })).status).toBe(404);
    const publicMetrics = await h.anon.get("/metrics");
    expect(publicMetrics.status).toBe(404);
    expect(publicMetrics.raw).not.toContain("latchkey_");
  });
});

describe("metrics off by default", () => {
  it("starts no metrics listener without LATCHKEY_METRICS_PORT", async () => {
    const h = await startHarness("sqlite");
    try {
      expect(h.metricsPort).toBeNull();
      expect(h.config.metricsPort).toBeNull();
    } finally {
      await h.close();
    }
  });
});
