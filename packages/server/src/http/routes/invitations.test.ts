import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../../test-support/databases.js";
import { startHarness, type Client, type Harness } from "../../test-support/harness.js";

// Issue #20, items 2 and 3, from the attacker's side: invitations that outlived the decisions about them, and an
// invitation that let anyone with an account claim any e-mail address.

interface Sent {
  id: string;
  email: string;
  inviteUrl: string;
  /** The secret of the link sent to the address, read from the outbox right after the invitation. */
  confirm: string;
}
interface Listed {
  id: string;
  email: string;
  roles: string[];
  invitedBy: string;
  createdAt: string;
  expiresAt: string;
}

describe.each(dialects())("invitations on %s", (kind) => {
  let h: Harness;
  let seq = 0;
  const address = (what: string) => `${what}-${++seq}@example.com`;
  const PASSWORD = "a long enough password";

  const invite = async (by: Client, team: string, email: string, roles: string[]): Promise<Sent> => {
    const { invitation } = await by.ok<{ invitation: Omit<Sent, "confirm"> }>("POST", `/v1/teams/${team}/members`, { email, roles });
    return { ...invitation, confirm: h.outbox.confirmTokenFor(email) };
  };
  const tokenOf = (s: Sent) => new URL(s.inviteUrl).searchParams.get("token") ?? "";
  const accept = (s: Sent, password = PASSWORD) =>
    h.app.inject({ method: "POST", url: "/v1/invitations/accept", payload: { token: tokenOf(s), name: "Someone", password } });
  const confirm = (s: Sent, password = PASSWORD) =>
    h.app.inject({ method: "POST", url: "/v1/invitations/confirm", payload: { token: s.confirm, name: "Someone", password } });
  const pending = async (team: string) => (await h.owner.ok<{ invitations: Listed[] }>("GET", `/v1/teams/${team}/invitations`)).invitations;
  const memberEmails = async (team: string) =>
    (await h.owner.ok<{ members: { email: string }[] }>("GET", `/v1/teams/${team}/members`)).members.map((m) => m.email);
  const body = (raw: string) => JSON.parse(raw) as { error: { code: string; message: string } };

  beforeAll(async () => {
    h = await startHarness(kind);
    await h.owner.ok("POST", "/v1/teams", { name: "Alpha" });
    // An inviter with a narrow role: may manage members, read the team, and give `reader`.
    await h.owner.ok("POST", "/v1/teams/alpha/roles", {
      id: "inviter",
      name: "Inviter",
      permissions: { teamScope: ["team.read", "team.members.read", "team.members.manage"] },
    });
    await h.owner.ok("POST", "/v1/teams/alpha/roles", { id: "reader", name: "Reader", permissions: { teamScope: ["team.read"] } });
  });
  afterAll(() => h.close());

  describe("listing and revoking", () => {
    it("lists pending invitations without their links; revoking one stops both of its links, audited", async () => {
      const a = await invite(h.owner, "alpha", address("listed"), ["reader"]);
      const b = await invite(h.owner, "alpha", address("listed"), ["default", "reader"]);
      const listed = await pending("alpha");
      expect(listed.map((i) => i.id)).toEqual(expect.arrayContaining([a.id, b.id]));
      const shown = listed.find((i) => i.id === b.id);
      expect(shown).toEqual({
        id: b.id,
        email: b.email,
        roles: ["default", "reader"],
        invitedBy: h.owner.userId,
        createdAt: expect.any(String) as string,
        expiresAt: expect.any(String) as string,
      });
      const raw = (await h.owner.get("/v1/teams/alpha/invitations")).raw;
      expect(raw).not.toContain(tokenOf(a));
      expect(raw).not.toContain(a.confirm);

      expect(await h.owner.ok("DELETE", `/v1/teams/alpha/invitations/${a.id}`)).toEqual({ id: a.id, revoked: true });
      expect((await confirm(a)).statusCode).toBe(404);
      expect((await accept(a)).statusCode).toBe(404);
      expect((await pending("alpha")).map((i) => i.id)).not.toContain(a.id);
      expect((await h.owner.delete(`/v1/teams/alpha/invitations/${a.id}`)).status).toBe(404);
      await h.services.audit.buffer.flush();
      const feed = await h.owner.ok<{ auditLogs: { eventType: string; resource: { id: string } }[] }>(
        "GET",
        "/v1/teams/alpha/audit-logs?eventType=invitations.revoke",
      );
      expect(feed.auditLogs.map((e) => e.resource.id)).toContain(a.id);
      // The other one is untouched.
      expect((await confirm(b)).statusCode).toBe(200);
    });

    it("a member who may only read members sees the list but cannot revoke (403 naming the permission)", async () => {
      const target = await invite(h.owner, "alpha", address("kept"), ["reader"]);
      const reader = await h.newMember(h.owner, "/v1/teams/alpha", ["default"]);
      expect((await reader.get("/v1/teams/alpha/invitations")).status).toBe(200);
      const refused = await reader.delete(`/v1/teams/alpha/invitations/${target.id}`);
      expect(refused.status).toBe(403);
      expect(refused.body.error?.details).toMatchObject({ permission: "team.members.manage" });
      expect((await pending("alpha")).map((i) => i.id)).toContain(target.id);
    });

    it("nobody revokes an invitation that gives more than they could give (the covering rule)", async () => {
      const admin = await invite(h.owner, "alpha", address("admin-invite"), ["admin"]);
      const narrow = await h.newMember(h.owner, "/v1/teams/alpha", ["inviter"]);
      const refused = await narrow.delete(`/v1/teams/alpha/invitations/${admin.id}`);
      expect(refused.status).toBe(403);
      expect((await pending("alpha")).map((i) => i.id)).toContain(admin.id);
    });

    it("another team's invitation is not found", async () => {
      await h.owner.ok("POST", "/v1/teams", { name: "Beta" });
      const other = await invite(h.owner, "beta", address("beta"), ["default"]);
      expect((await h.owner.delete(`/v1/teams/alpha/invitations/${other.id}`)).status).toBe(404);
      expect((await confirm(other)).statusCode).toBe(200);
    });
  });

  describe("invitations end with the rights behind them", () => {
    it("a removed member cannot come back through a second pending link", async () => {
      const email = address("comeback");
      const first = await invite(h.owner, "alpha", email, ["default"]);
      const second = await invite(h.owner, "alpha", email, ["admin"]);
      expect((await confirm(first)).statusCode).toBe(200);
      const member = (await h.owner.ok<{ members: { userId: string; email: string }[] }>("GET", "/v1/teams/alpha/members")).members.find(
        (m) => m.email === email,
      );
      await h.owner.ok("DELETE", `/v1/teams/alpha/members/${member?.userId ?? ""}`);
      expect((await confirm(second)).statusCode).toBe(404);
      expect((await accept(second)).statusCode).toBe(404);
      expect(await memberEmails("alpha")).not.toContain(email);
    });

    it("an inviter who is removed takes their pending invitations with them", async () => {
      const inviter = await h.newMember(h.owner, "/v1/teams/alpha", ["admin"]);
      const sent = await invite(inviter, "alpha", address("orphan"), ["default"]);
      await h.owner.ok("DELETE", `/v1/teams/alpha/members/${inviter.userId}`);
      expect((await pending("alpha")).map((i) => i.id)).not.toContain(sent.id);
      expect((await confirm(sent)).statusCode).toBe(404);
    });

    it("an inviter who is demoted keeps only the invitations their remaining rights cover", async () => {
      const inviter = await h.newMember(h.owner, "/v1/teams/alpha", ["admin"]);
      const beyond = await invite(inviter, "alpha", address("beyond"), ["admin"]);
      const within = await invite(inviter, "alpha", address("within"), ["reader"]);
      await h.owner.ok("PATCH", `/v1/teams/alpha/members/${inviter.userId}`, { roles: ["inviter"] });
      const ids = (await pending("alpha")).map((i) => i.id);
      expect(ids).not.toContain(beyond.id);
      expect(ids).toContain(within.id);
      expect((await confirm(beyond)).statusCode).toBe(404);
      expect((await confirm(within)).statusCode).toBe(200);
      // Demoted below managing members at all: nothing they sent stands.
      const last = await invite(inviter, "alpha", address("last"), ["reader"]);
      await h.owner.ok("PATCH", `/v1/teams/alpha/members/${inviter.userId}`, { roles: ["reader"] });
      expect((await confirm(last)).statusCode).toBe(404);
    });

    it("acceptance re-checks the inviter: a role that now grants more than its inviter holds is refused", async () => {
      await h.owner.ok("POST", "/v1/teams/alpha/roles", { id: "grows", name: "Grows", permissions: { teamScope: ["team.read"] } });
      const inviter = await h.newMember(h.owner, "/v1/teams/alpha", ["inviter"]);
      const sent = await invite(inviter, "alpha", address("grown"), ["grows"]);
      await h.owner.ok("PATCH", "/v1/teams/alpha/roles/grows", { permissions: { teamScope: ["team.read", "team.delete"] } });
      const refused = await confirm(sent);
      expect(refused.statusCode).toBe(404);
      expect(body(refused.body).error.message).toContain("can no longer give these roles");
      expect(await memberEmails("alpha")).not.toContain(sent.email);
    });
  });

  describe("no identity without proof", () => {
    it("a member who invites someone else's address and accepts their own link gets no account for it", async () => {
      const attacker = await h.newMember(h.owner, "/v1/teams/alpha", ["default"]);
      const squat = (await attacker.ok<{ id: string }>("POST", "/v1/teams", { name: `Squat ${seq}` })).id;
      const victim = address("ceo");
      const own = await invite(attacker, squat, victim, ["owner"]);
      const tried = await accept(own, "the attacker's chosen password");
      expect(tried.statusCode).toBe(403);
      expect(body(tried.body).error.code).toBe("CONFIRMATION_REQUIRED");
      expect((await h.anon.post("/v1/session", { email: victim, password: "the attacker's chosen password" })).status).toBe(401);
      // The only link that makes the account went to the address itself, not to the attacker.
      expect(h.outbox.messages.filter((m) => m.text.includes(own.confirm)).map((m) => m.to)).toEqual([victim]);

      // Later the real person is invited by their own team, and joins through the link sent to them.
      const real = await invite(h.owner, "alpha", victim, ["default"]);
      expect((await confirm(real, "the victim's own password")).statusCode).toBe(200);
      expect((await h.anon.post("/v1/session", { email: victim, password: "the victim's own password" })).status).toBe(200);
    });

    it("accepting through the inviter's link tells nobody whether the address has an account", async () => {
      const withAccount = address("has-account");
      await h.newMember(h.owner, "/v1/teams/alpha", ["default"], withAccount, "the holder's own password");
      const without = address("no-account");
      await h.owner.ok("POST", "/v1/teams", { name: `Probe ${seq}` });
      const team = `probe-${seq}`;
      const a = await accept(await invite(h.owner, team, withAccount, ["default"]), "a wrong guess here");
      const b = await accept(await invite(h.owner, team, without, ["default"]), "a wrong guess here");
      expect(a.statusCode).toBe(b.statusCode);
      expect(body(a.body).error.code).toBe(body(b.body).error.code);
      expect(body(a.body).error.message.replace(withAccount, "X")).toBe(body(b.body).error.message.replace(without, "X"));
    });

    it("the link sent to an address with an account still needs that account's password", async () => {
      const email = address("holder");
      await h.newMember(h.owner, "/v1/teams/alpha", ["default"], email, "the holder's own password");
      await h.owner.ok("POST", "/v1/teams", { name: `Holder ${seq}` });
      const sent = await invite(h.owner, `holder-${seq}`, email, ["default"]);
      expect((await confirm(sent, "not the holder's password")).statusCode).toBe(401);
      expect((await confirm(sent, "the holder's own password")).statusCode).toBe(200);
    });
  });
});
