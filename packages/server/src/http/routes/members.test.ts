import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../../test-support/databases.js";
import { OWNER_EMAIL, startHarness, type Client, type Harness } from "../../test-support/harness.js";
import { everyPage } from "../../test-support/pages.js";

interface Member {
  userId: string;
  email: string;
  name: string;
  roles: string[];
  joinedAt: string;
}
interface Invitation {
  id: string;
  email: string;
  inviteUrl: string;
  expiresAt: string;
  mail: string;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

describe.each(dialects())("members on %s", (kind) => {
  let h: Harness;
  let seq = 0;
  const email = () => `person${++seq}@example.com`;
  const accept = (token: string, name = "Invitee", password = "a long enough password") =>
    h.app.inject({ method: "POST", url: "/v1/invitations/accept", payload: { token, name, password } });
  /** With the link sent to the invited address (the outbox holds it): what creates an account. */
  const confirm = (address: string, name = "Invitee", password = "a long enough password") =>
    h.app.inject({ method: "POST", url: "/v1/invitations/confirm", payload: { token: h.outbox.confirmTokenFor(address), name, password } });
  const tokenOf = (invitation: Invitation) => new URL(invitation.inviteUrl).searchParams.get("token") ?? "";
  const membersOf = async (path: string) => (await h.owner.ok<{ members: Member[] }>("GET", `${path}/members`)).members;

  beforeAll(async () => {
    h = await startHarness(kind);
    await h.owner.ok("POST", "/v1/teams", { name: "Platform" });
    await h.owner.ok("POST", "/v1/orgs", { name: "Acme" });
    await h.owner.ok("POST", "/v1/orgs/acme/teams", { name: "Web" });
  });
  afterAll(() => h.close());

  describe("listing", () => {
    it("lists the creator as the only owner, in the documented shape", async () => {
      const res = await h.owner.get("/v1/teams/platform/members");
      expect(res.status).toBe(200);
      const members = (res.body.data as { members: Member[] }).members;
      expect(members).toHaveLength(1);
      expect(Object.keys(members[0] ?? {}).sort()).toEqual(["email", "joinedAt", "name", "roles", "userId"]);
      expect(members[0]).toMatchObject({ userId: h.owner.userId, email: OWNER_EMAIL, roles: ["owner"] });
      expect(members[0]?.joinedAt).toMatch(ISO);
      expect(res.body.pagination).toEqual({ hasNextPage: false, count: 1 });
      expect((await h.owner.ok<{ members: Member[] }>("GET", "/v1/orgs/acme/members")).members.map((m) => m.roles)).toEqual([["owner"]]);
    });

    it("paginates newest first with a cursor that is absent on the last page", async () => {
      await h.owner.ok("POST", "/v1/teams", { name: "Crowd" });
      const joined: string[] = [];
      for (let i = 0; i < 3; i++) joined.push((await h.newMember(h.owner, "/v1/teams/crowd", ["default"])).userId);
      const { items, pages } = await everyPage<Member>(h.owner, "/v1/teams/crowd/members?per_page=3", "members");
      const seen = items.map((m) => m.userId);
      expect(seen).toHaveLength(4);
      expect(pages).toBe(2);
      expect(new Set(seen)).toEqual(new Set([h.owner.userId, ...joined]));
      expect(seen[3]).toBe(h.owner.userId);
    });

    it("answers 404 for a team or organisation that does not exist", async () => {
      expect((await h.owner.get("/v1/teams/nowhere/members")).status).toBe(404);
      expect((await h.owner.get("/v1/orgs/nowhere/members")).status).toBe(404);
    });
  });

  describe("inviting", () => {
    it("invites a person who already has an account like anyone else: they join only by accepting with their password", async () => {
      await h.owner.ok("POST", "/v1/teams", { name: "Solo" });
      // An account with a known password: joined Platform through an invitation.
      const address = email();
      const existing = await h.newMember(h.owner, "/v1/teams/platform", ["default"], address, "the existing password");

      const reply = await h.owner.ok<Record<string, unknown>>("POST", "/v1/teams/solo/members", {
        email: `  ${address.toUpperCase()} `,
        roles: ["default", "admin", "default"],
      });
      const fresh = await h.owner.ok<Record<string, unknown>>("POST", "/v1/teams/solo/members", { email: email(), roles: ["default"] });
      // The same reply for an address with an account as for one without: inviting tells nobody who has one.
      expect(Object.keys(reply)).toEqual(["invitation"]);
      expect(Object.keys(reply.invitation as object).sort()).toEqual(Object.keys(fresh.invitation as object).sort());
      const invitation = reply.invitation as Invitation;
      expect(invitation.email).toBe(address);
      // Not a member until they accept.
      expect((await membersOf("/v1/teams/solo")).map((m) => m.userId)).not.toContain(existing.userId);
      expect((await existing.get("/v1/teams/solo/members")).status).toBe(404);

      // Accepting needs the account's own password; a wrong one leaves the link usable, and is answered like an
      // address without an account: confirm the address through the link sent to it.
      const wrong = await accept(tokenOf(invitation), "Someone", "not the existing password");
      expect(wrong.statusCode).toBe(403);
      expect((JSON.parse(wrong.body) as { error: { code: string } }).error.code).toBe("CONFIRMATION_REQUIRED");
      expect((await membersOf("/v1/teams/solo")).map((m) => m.userId)).not.toContain(existing.userId);
      const right = await accept(tokenOf(invitation), "Ignored", "the existing password");
      expect(right.statusCode, right.body).toBe(200);
      expect((await membersOf("/v1/teams/solo")).find((m) => m.userId === existing.userId)).toMatchObject({
        email: address,
        name: address.split("@")[0],
        roles: ["admin", "default"],
      });
      // The new membership works on the person's very next request.
      expect((await existing.get("/v1/teams/solo/members")).status).toBe(200);

      const again = await h.owner.post("/v1/teams/solo/members", { email: address, roles: ["default"] });
      expect(again.status).toBe(409);
      expect(again.body.error?.code).toBe("CONFLICT");
    });

    it("returns an invitation link for a new e-mail; the account is made through the link sent to it, exactly once", async () => {
      const address = email();
      const before = Date.now();
      const reply = await h.owner.ok<{ invitation: Invitation }>("POST", "/v1/teams/platform/members", {
        email: address,
        roles: ["default"],
      });
      const invitation = reply.invitation;
      expect(invitation).toMatchObject({ email: address, mail: "sent" });
      expect(typeof invitation.id).toBe("string");
      expect(invitation.inviteUrl.startsWith("http://latchkey.test/invite?token=")).toBe(true);
      expect(invitation.expiresAt).toMatch(ISO);
      const ttl = Date.parse(invitation.expiresAt) - before;
      expect(ttl).toBeGreaterThan(6 * 24 * 3_600_000);
      expect(ttl).toBeLessThanOrEqual(8 * 24 * 3_600_000);
      expect((await membersOf("/v1/teams/platform")).map((m) => m.email)).not.toContain(address);

      // The inviter's link makes no account: whoever holds it has not shown that the address is theirs.
      const squat = await accept(tokenOf(invitation), "Newcomer");
      expect(squat.statusCode, squat.body).toBe(403);
      expect((await membersOf("/v1/teams/platform")).map((m) => m.email)).not.toContain(address);
      const first = await confirm(address, "Newcomer");
      expect(first.statusCode, first.body).toBe(200);
      const session = (JSON.parse(first.body) as { data: { user: { id: string; email: string; name: string }; csrfToken: string } }).data;
      expect(session.user).toMatchObject({ email: address, name: "Newcomer" });
      expect(session.csrfToken).toEqual(expect.any(String));
      expect(first.cookies.some((c) => c.name === "latchkey_session" && c.value !== "")).toBe(true);
      const member = (await membersOf("/v1/teams/platform")).find((m) => m.email === address);
      expect(member).toMatchObject({ userId: session.user.id, name: "Newcomer", roles: ["default"] });

      expect((await accept(tokenOf(invitation), "Impostor")).statusCode).toBe(404);
      const second = await confirm(address, "Impostor");
      expect(second.statusCode).toBe(404);
      expect((await membersOf("/v1/teams/platform")).filter((m) => m.email === address)).toHaveLength(1);
      expect((await accept("x".repeat(43))).statusCode).toBe(404);
    });

    it("joins with the invited roles that still exist when the invitation is accepted", async () => {
      await h.owner.ok("POST", "/v1/teams/platform/roles", { id: "temp", name: "Temp", permissions: { teamScope: ["team.read"] } });
      const invitation = (
        await h.owner.ok<{ invitation: Invitation }>("POST", "/v1/teams/platform/members", { email: email(), roles: ["temp", "default"] })
      ).invitation;
      await h.owner.ok("DELETE", "/v1/teams/platform/roles/temp");
      expect((await confirm(invitation.email)).statusCode).toBe(200);
      expect((await membersOf("/v1/teams/platform")).find((m) => m.email === invitation.email)?.roles).toEqual(["default"]);
    });

    it("refuses an invitation to a team deleted in the meantime", async () => {
      await h.owner.ok("POST", "/v1/teams", { name: "Short Lived" });
      const invitation = (
        await h.owner.ok<{ invitation: Invitation }>("POST", "/v1/teams/short-lived/members", { email: email(), roles: ["default"] })
      ).invitation;
      await h.owner.ok("DELETE", "/v1/teams/short-lived");
      expect((await accept(tokenOf(invitation))).statusCode).toBe(404);
      expect((await confirm(invitation.email)).statusCode).toBe(404);
    });

    it("refuses bad input with 400 naming the field, and unknown roles", async () => {
      const noRoles = await h.owner.post("/v1/teams/platform/members", { email: email(), roles: [] });
      expect(noRoles.status).toBe(400);
      expect(noRoles.body.error?.details).toHaveProperty(["fields", "roles"]);
      const badEmail = await h.owner.post("/v1/teams/platform/members", { email: "not-an-address", roles: ["default"] });
      expect(badEmail.status).toBe(400);
      expect(badEmail.body.error?.details).toHaveProperty(["fields", "email"]);
      const extra = await h.owner.post("/v1/teams/platform/members", { email: email(), roles: ["default"], admin: true });
      expect(extra.status).toBe(400);
      expect(JSON.stringify(extra.body.error?.details)).toContain("admin");
      const unknownRole = await h.owner.post("/v1/teams/platform/members", { email: email(), roles: ["wizard"] });
      expect([400, 404]).toContain(unknownRole.status);
      expect(unknownRole.body.error?.message).toContain("wizard");
      const orgRoleOnTeam = await h.owner.post("/v1/teams/platform/members", { email: email(), roles: ["member"] });
      expect([400, 404]).toContain(orgRoleOnTeam.status);
    });
  });

  describe("changing roles and removing", () => {
    let person: Client;
    beforeAll(async () => {
      await h.owner.ok("POST", "/v1/teams", { name: "Edits" });
      await h.owner.ok("POST", "/v1/teams/edits/projects", { name: "Thing" });
      person = await h.newMember(h.owner, "/v1/teams/edits", ["default"]);
    });

    it("replaces a member's roles, which take effect on the next request", async () => {
      expect((await person.delete("/v1/teams/edits/projects/thing")).status).toBe(403);
      expect(await h.owner.ok("PATCH", `/v1/teams/edits/members/${person.userId}`, { roles: ["owner", "admin"] })).toMatchObject({
        userId: person.userId,
        roles: ["admin", "owner"],
      });
      expect(await h.owner.ok("PATCH", `/v1/teams/edits/members/${person.userId}`, { roles: ["admin"] })).toMatchObject({
        roles: ["admin"],
      });
      expect((await membersOf("/v1/teams/edits")).find((m) => m.userId === person.userId)?.roles).toEqual(["admin"]);
      await h.owner.ok("PATCH", `/v1/teams/edits/members/${person.userId}`, { roles: ["owner"] });
      expect((await person.delete("/v1/teams/edits/projects/thing")).status).toBe(200);
      await h.owner.ok("PATCH", `/v1/teams/edits/members/${person.userId}`, { roles: ["default"] });
    });

    it("refuses unknown roles, empty lists and people who are not members", async () => {
      const unknown = await h.owner.patch(`/v1/teams/edits/members/${person.userId}`, { roles: ["wizard"] });
      expect([400, 404]).toContain(unknown.status);
      const empty = await h.owner.patch(`/v1/teams/edits/members/${person.userId}`, { roles: [] });
      expect(empty.status).toBe(400);
      expect(empty.body.error?.details).toHaveProperty(["fields", "roles"]);
      expect((await h.owner.patch("/v1/teams/edits/members/usr_nobody", { roles: ["default"] })).status).toBe(404);
      expect((await membersOf("/v1/teams/edits")).find((m) => m.userId === person.userId)?.roles).toEqual(["default"]);
    });

    it("removes a member, who then no longer reaches the team", async () => {
      const leaver = await h.newMember(h.owner, "/v1/teams/edits", ["admin"]);
      expect((await leaver.get("/v1/teams/edits/projects")).status).toBe(200);
      expect(await h.owner.ok("DELETE", `/v1/teams/edits/members/${leaver.userId}`)).toEqual({ userId: leaver.userId, deleted: true });
      expect((await membersOf("/v1/teams/edits")).map((m) => m.userId)).not.toContain(leaver.userId);
      expect((await leaver.get("/v1/teams/edits/projects")).status).toBe(404);
      expect((await leaver.get("/v1/teams/edits/members")).status).toBe(404);
      expect((await h.owner.delete(`/v1/teams/edits/members/${leaver.userId}`)).status).toBe(404);
    });

    it("a member may leave on their own when they hold team.members.manage", async () => {
      const admin = await h.newMember(h.owner, "/v1/teams/edits", ["admin"]);
      expect(await admin.ok("DELETE", `/v1/teams/edits/members/${admin.userId}`)).toEqual({ userId: admin.userId, deleted: true });
      expect((await admin.get("/v1/teams/edits")).status).toBe(404);
    });
  });

  describe("the last owner", () => {
    it("cannot be removed or demoted (409), by any route", async () => {
      await h.owner.ok("POST", "/v1/teams", { name: "Owned" });
      const attempts = [
        await h.owner.delete(`/v1/teams/owned/members/${h.owner.userId}`),
        await h.owner.patch(`/v1/teams/owned/members/${h.owner.userId}`, { roles: ["admin"] }),
        await h.owner.delete(`/v1/teams/owned/roles/owner/members/${h.owner.userId}`),
      ];
      for (const res of attempts) {
        expect(res.status, res.raw).toBe(409);
        expect(res.body.error?.code).toBe("CONFLICT");
      }
      expect((await membersOf("/v1/teams/owned")).map((m) => m.roles)).toEqual([["owner"]]);
      // Keeping the owner role while adding others is fine.
      expect(await h.owner.ok("PATCH", `/v1/teams/owned/members/${h.owner.userId}`, { roles: ["owner", "admin"] })).toMatchObject({
        roles: ["admin", "owner"],
      });
    });

    it("can be once a second owner exists, and the second then becomes the last", async () => {
      await h.owner.ok("POST", "/v1/teams", { name: "Handover" });
      const heir = await h.newMember(h.owner, "/v1/teams/handover", ["default"]);
      await h.owner.ok("POST", "/v1/teams/handover/roles/owner/members", { userId: heir.userId });
      expect(await h.owner.ok("PATCH", `/v1/teams/handover/members/${h.owner.userId}`, { roles: ["admin"] })).toMatchObject({
        roles: ["admin"],
      });
      expect(
        (await h.owner.ok<{ members: Member[] }>("GET", "/v1/teams/handover/roles/owner/members")).members.map((m) => m.userId),
      ).toEqual([heir.userId]);
      // The former owner, now admin, cannot remove an owner at all: nobody takes away a role they could not give.
      expect((await h.owner.delete(`/v1/teams/handover/members/${heir.userId}`)).status).toBe(403);
      expect((await heir.delete(`/v1/teams/handover/members/${heir.userId}`)).status).toBe(409);
      await heir.ok("PATCH", `/v1/teams/handover/members/${h.owner.userId}`, { roles: ["owner"] });
      expect(await heir.ok("DELETE", `/v1/teams/handover/members/${heir.userId}`)).toEqual({ userId: heir.userId, deleted: true });
      expect((await membersOf("/v1/teams/handover")).map((m) => [m.userId, m.roles])).toEqual([[h.owner.userId, ["owner"]]]);
    });

    it("survives two owners stepping down at the same moment (one of them is refused)", async () => {
      // Each round: two owners, each demoting or removing themselves concurrently. Exactly one may succeed.
      for (let round = 0; round < 6; round++) {
        const team = `race-${round}`;
        await h.owner.ok("POST", "/v1/teams", { name: team });
        const other = await h.newMember(h.owner, `/v1/teams/${team}`, ["owner"]);
        const leave = (c: Client) =>
          round % 2 === 0
            ? c.patch(`/v1/teams/${team}/members/${c.userId}`, { roles: ["admin"] })
            : c.delete(`/v1/teams/${team}/members/${c.userId}`);
        const results = await Promise.all([leave(h.owner), leave(other)]);
        const owners = (await h.services.store.members.page("team", team, { perPage: 10 }, "owner")).items;
        expect(owners, `round ${round}: ${results.map((r) => r.status).join(", ")}`).toHaveLength(1);
        expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      }
    });
  });

  describe("organisation members", () => {
    it("invites, changes, removes, and protects the last owner, like a team", async () => {
      const reply = await h.owner.ok<{ invitation: Invitation }>("POST", "/v1/orgs/acme/members", { email: email(), roles: ["member"] });
      const accepted = await confirm(reply.invitation.email);
      expect(accepted.statusCode).toBe(200);
      const person = (await membersOf("/v1/orgs/acme")).find((m) => m.email === reply.invitation.email);
      expect(person?.roles).toEqual(["member"]);
      const userId = person?.userId ?? "";

      // Team roles are not organisation roles.
      const teamRole = await h.owner.patch(`/v1/orgs/acme/members/${userId}`, { roles: ["default"] });
      expect([400, 404]).toContain(teamRole.status);
      expect(await h.owner.ok("PATCH", `/v1/orgs/acme/members/${userId}`, { roles: ["admin", "member"] })).toMatchObject({
        roles: ["admin", "member"],
      });

      expect((await h.owner.delete(`/v1/orgs/acme/members/${h.owner.userId}`)).status).toBe(409);
      expect((await h.owner.patch(`/v1/orgs/acme/members/${h.owner.userId}`, { roles: ["member"] })).status).toBe(409);
      expect(await h.owner.ok("DELETE", `/v1/orgs/acme/members/${userId}`)).toEqual({ userId, deleted: true });
      expect((await membersOf("/v1/orgs/acme")).map((m) => m.userId)).toEqual([h.owner.userId]);
    });

    it("reaches the organisation's teams through the organisation role, until removed", async () => {
      const person = await h.newMember(h.owner, "/v1/orgs/acme", ["member"]);
      expect((await person.get("/v1/teams/web/members")).status).toBe(200);
      expect((await person.get("/v1/orgs/acme/members")).status).toBe(200);
      // An organisation member is not a member of the team itself.
      expect((await membersOf("/v1/teams/web")).map((m) => m.userId)).not.toContain(person.userId);
      await h.owner.ok("DELETE", `/v1/orgs/acme/members/${person.userId}`);
      expect((await person.get("/v1/teams/web/members")).status).toBe(404);
      expect((await person.get("/v1/orgs/acme/members")).status).toBe(404);
    });

    it("invites an existing account to an organisation team through the organisation's owner", async () => {
      const address = email();
      const person = await h.newMember(h.owner, "/v1/teams/platform", ["default"], address, "the existing password");
      const reply = await h.owner.ok<{ invitation: Invitation }>("POST", "/v1/teams/web/members", { email: address, roles: ["admin"] });
      expect((await person.get("/v1/teams/web/roles")).status).toBe(404);
      expect((await accept(tokenOf(reply.invitation), "Existing", "the existing password")).statusCode).toBe(200);
      expect((await membersOf("/v1/teams/web")).find((m) => m.userId === person.userId)?.roles).toEqual(["admin"]);
      expect((await person.get("/v1/teams/web/roles")).status).toBe(200);
      expect((await person.get("/v1/orgs/acme/roles")).status).toBe(404);
    });
  });
});
