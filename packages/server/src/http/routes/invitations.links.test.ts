import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { events } from "../../test-support/audit.js";
import { dialects } from "../../test-support/databases.js";
import { startHarness, type Client, type Harness } from "../../test-support/harness.js";

// Issue 21.3: a pending invitation whose link the inviter lost gets new links (links are kept only as hashes, so the
// old one cannot be shown again), and the landing page of a link says where it leads, who invited and with which roles.

interface Sent {
  id: string;
  email: string;
  inviteUrl: string;
  expiresAt: string;
  mail: string;
  /** The secret of the link sent to the address, read from the outbox right after the invitation. */
  confirm: string;
}

describe.each(dialects())("invitation links on %s", (kind) => {
  let h: Harness;
  let seq = 0;
  const address = (what: string) => `${what}-${++seq}@example.com`;
  const PASSWORD = "a long enough password";

  const invite = async (by: Client, team: string, email: string, roles: string[]): Promise<Sent> => {
    const { invitation } = await by.ok<{ invitation: Omit<Sent, "confirm"> }>("POST", `/v1/teams/${team}/members`, { email, roles });
    return { ...invitation, confirm: h.outbox.confirmTokenFor(email) };
  };
  const renew = async (by: Client, team: string, id: string): Promise<Sent> => {
    const { invitation } = await by.ok<{ invitation: Omit<Sent, "confirm"> }>("POST", `/v1/teams/${team}/invitations/${id}/link`);
    return { ...invitation, confirm: h.outbox.confirmTokenFor(invitation.email) };
  };
  const tokenOf = (s: Sent) => new URL(s.inviteUrl).searchParams.get("token") ?? "";
  const accept = (s: Sent) =>
    h.app.inject({ method: "POST", url: "/v1/invitations/accept", payload: { token: tokenOf(s), password: PASSWORD } });
  const confirm = (s: Sent) =>
    h.app.inject({ method: "POST", url: "/v1/invitations/confirm", payload: { token: s.confirm, name: "Someone", password: PASSWORD } });
  const lookup = (payload: object) => h.app.inject({ method: "POST", url: "/v1/invitations/lookup", payload });
  const code = (raw: string) => (JSON.parse(raw) as { error: { code: string } }).error.code;

  beforeAll(async () => {
    h = await startHarness(kind);
    await h.owner.ok("POST", "/v1/teams", { name: "Alpha" });
    await h.owner.ok("POST", "/v1/teams/alpha/roles", {
      id: "inviter",
      name: "Inviter",
      permissions: { teamScope: ["team.read", "team.members.read", "team.members.manage"] },
    });
    await h.owner.ok("POST", "/v1/teams/alpha/roles", { id: "reader", name: "Reader", permissions: { teamScope: ["team.read"] } });
  });
  afterAll(() => h.close());

  describe("new links for a pending invitation", () => {
    it("the old links stop, the new ones work, the address is sent its new link, and it runs its full time again, audited", async () => {
      const first = await invite(h.owner, "alpha", address("lost"), ["reader"]);
      const second = await renew(h.owner, "alpha", first.id);
      expect(second).toMatchObject({ id: first.id, email: first.email, mail: "sent" });
      expect(tokenOf(second)).not.toBe(tokenOf(first));
      expect(second.confirm).not.toBe(first.confirm);
      expect(Date.parse(second.expiresAt)).toBeGreaterThanOrEqual(Date.parse(first.expiresAt));
      // The inviter's old link is unknown now; the new one is live (no account for the address: the next step).
      expect((await accept(first)).statusCode).toBe(404);
      const live = await accept(second);
      expect(live.statusCode).toBe(403);
      expect(code(live.body)).toBe("CONFIRMATION_REQUIRED");
      expect((await confirm(first)).statusCode).toBe(404);
      // The list never holds the links, old or new.
      const raw = (await h.owner.get("/v1/teams/alpha/invitations")).raw;
      for (const secret of [tokenOf(first), tokenOf(second), second.confirm]) expect(raw).not.toContain(secret);
      await h.services.audit.buffer.flush();
      const feed = await events(h.owner, "/v1/teams/alpha/audit-logs?eventType=invitations.renew");
      expect(feed.find((e) => e.resource.id === first.id)).toMatchObject({ actor: { email: "owner@example.com" } });
      expect(JSON.stringify(feed)).not.toContain(tokenOf(second));
      expect((await confirm(second)).statusCode).toBe(200);
    });

    it("only whoever could revoke it: members.manage and every role it gives; another team's, or a used one, is not found", async () => {
      const admin = await invite(h.owner, "alpha", address("admin"), ["admin"]);
      const reader = await h.newMember(h.owner, "/v1/teams/alpha", ["default"]);
      const refused = await reader.post(`/v1/teams/alpha/invitations/${admin.id}/link`);
      expect(refused.status).toBe(403);
      expect(refused.body.error?.details).toMatchObject({ permission: "team.members.manage" });
      const narrow = await h.newMember(h.owner, "/v1/teams/alpha", ["inviter"]);
      expect((await narrow.post(`/v1/teams/alpha/invitations/${admin.id}/link`)).status).toBe(403);
      // The refused attempts changed nothing: the first links still work.
      expect((await lookup({ token: tokenOf(admin) })).statusCode).toBe(200);

      await h.owner.ok("POST", "/v1/teams", { name: `Beta ${seq}` });
      const other = await invite(h.owner, `beta-${seq}`, address("beta"), ["default"]);
      expect((await h.owner.post(`/v1/teams/alpha/invitations/${other.id}/link`)).status).toBe(404);
      const used = await invite(h.owner, "alpha", address("used"), ["reader"]);
      expect((await confirm(used)).statusCode).toBe(200);
      expect((await h.owner.post(`/v1/teams/alpha/invitations/${used.id}/link`)).status).toBe(404);
      await h.owner.ok("DELETE", `/v1/teams/alpha/invitations/${admin.id}`);
      expect((await h.owner.post(`/v1/teams/alpha/invitations/${admin.id}/link`)).status).toBe(404);
    });
  });

  describe("the landing page of a link", () => {
    it("says where either link leads, for which address, who invited and which roles", async () => {
      const sent = await invite(h.owner, "alpha", address("landing"), ["default", "reader"]);
      const expected = {
        email: sent.email,
        entityType: "team",
        entityId: "alpha",
        entityName: "Alpha",
        invitedBy: { name: expect.any(String) as string, email: "owner@example.com" },
        roles: [
          { id: "default", name: "Default" },
          { id: "reader", name: "Reader" },
        ],
        expiresAt: sent.expiresAt,
      };
      for (const payload of [{ token: tokenOf(sent) }, { confirm: sent.confirm }]) {
        const res = await lookup(payload);
        expect(res.statusCode).toBe(200);
        expect((JSON.parse(res.body) as { data: unknown }).data).toEqual(expected);
      }
    });

    it("a link that is unknown, revoked, used or replaced is one 404; a body with both links or none is a 400", async () => {
      const revoked = await invite(h.owner, "alpha", address("gone"), ["reader"]);
      await h.owner.ok("DELETE", `/v1/teams/alpha/invitations/${revoked.id}`);
      const used = await invite(h.owner, "alpha", address("joined"), ["reader"]);
      expect((await confirm(used)).statusCode).toBe(200);
      const replaced = await invite(h.owner, "alpha", address("replaced"), ["reader"]);
      await renew(h.owner, "alpha", replaced.id);
      const gone = [
        { token: "x".repeat(43) },
        { confirm: "x".repeat(43) },
        { token: tokenOf(revoked) },
        { confirm: used.confirm },
        { token: tokenOf(replaced) },
        { confirm: replaced.confirm },
      ];
      for (const payload of gone) {
        const res = await lookup(payload);
        expect(res.statusCode, JSON.stringify(payload)).toBe(404);
        expect(code(res.body)).toBe("NOT_FOUND");
      }
      expect((await lookup({ token: tokenOf(replaced), confirm: replaced.confirm })).statusCode).toBe(400);
      expect((await lookup({})).statusCode).toBe(400);
    });
  });
});
