/**
 * End to end (issue 17, item 5): console sessions and their grants are served from memory, kept true by the change
 * feed. Two real server processes on one PostgreSQL database: a change made through A (a role edit, a member
 * removal, a sign-out) applies to the same person's console requests on B, whose caches were warm.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startInbox, type Inbox } from "./smtp-support.js";
import {
  Api,
  createDatabase,
  ensureBuilt,
  freePort,
  startServer,
  waitFor,
  type E2eDatabase,
  type Reply,
  type ServerProcess,
} from "./support.js";

const PUBLIC_URL = "http://latchkey.e2e.test";
const TEAM = "acme";
const DEV_EMAIL = "dev@example.com";
const DEV_PASSWORD = "a long enough password";
/** How long a change may take to reach the other process (the feed delivers in milliseconds). */
const DEADLINE_MS = 2000;

const postgresUrl = inject("postgresUrl");

for (const adminUrl of postgresUrl ? [postgresUrl] : []) {
  describe("console sessions from memory, two server processes on one PostgreSQL", () => {
    let db: E2eDatabase | undefined;
    let inbox: Inbox | undefined;
    let a: ServerProcess | undefined;
    let b: ServerProcess | undefined;
    let ownerA: Api;
    let devUserId: string;

    beforeAll(async () => {
      await ensureBuilt();
      db = await createDatabase(adminUrl);
      inbox = await startInbox();
      const common = { databaseUrl: db.url, masterKey: randomBytes(32).toString("base64"), publicUrl: PUBLIC_URL, smtpUrl: inbox.url };
      a = await startServer({ ...common, name: "A", port: await freePort() });
      b = await startServer({ ...common, name: "B", port: await freePort() });
      ownerA = await Api.signIn(a.url);
      await ownerA.ok("POST", "/v1/teams", { name: "Acme" });
      await ownerA.ok("POST", `/v1/teams/${TEAM}/projects`, { name: "Web" });
      await ownerA.ok("POST", `/v1/teams/${TEAM}/roles`, {
        id: "reader",
        name: "Reader",
        permissions: { teamScope: ["team.read"], projectScope: ["project.read"] },
      });
      await ownerA.ok("POST", `/v1/teams/${TEAM}/roles`, { id: "viewer", name: "Viewer", permissions: { teamScope: ["team.read"] } });
      // A person joins through an e-mailed invitation, as in the console.
      await ownerA.ok("POST", `/v1/teams/${TEAM}/members`, { email: DEV_EMAIL, roles: ["reader"] });
      const [, token] = await inbox.next(DEV_EMAIL, /\/invite\?confirm=([A-Za-z0-9_-]+)/);
      await new Api(a.url).ok("POST", "/v1/invitations/confirm", { token, name: "Dev", password: DEV_PASSWORD });
      const members = await ownerA.ok<{ members: { userId: string; email: string }[] }>("GET", `/v1/teams/${TEAM}/members`);
      devUserId = members.members.find((m) => m.email === DEV_EMAIL)?.userId ?? "";
    }, 300_000);

    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      await inbox?.close();
      await db?.drop();
    }, 30_000);

    const projectsOn = (api: Api): Promise<Reply> => api.request("GET", `/v1/teams/${TEAM}/projects`);
    /** Polls `probe` on B until its status is `status`; returns how many requests that took. */
    const untilStatus = async (probe: () => Promise<Reply>, status: number) => {
      const r = await waitFor(probe, (reply) => reply.status === status, { timeoutMs: DEADLINE_MS, intervalMs: 10 });
      console.info(`[e2e] B answered ${status} after ${r.elapsedMs.toFixed(1)} ms (${r.attempts} request(s))`);
      expect(r.met, `B still answered ${r.value.status} after ${DEADLINE_MS} ms`).toBe(true);
      return r;
    };

    it("a role edited through A applies to the person's console session on B", async () => {
      const devB = await Api.signIn(b!.url, DEV_EMAIL, DEV_PASSWORD);
      for (let i = 0; i < 3; i++) expect((await projectsOn(devB)).status).toBe(200); // B's caches warm
      await ownerA.ok("PATCH", `/v1/teams/${TEAM}/roles/reader`, { permissions: { teamScope: ["team.read"], projectScope: [] } });
      const denied = await untilStatus(() => projectsOn(devB), 403);
      expect(JSON.stringify(denied.value.body.error)).toContain("project.read");
      await ownerA.ok("PATCH", `/v1/teams/${TEAM}/roles/reader`, {
        permissions: { teamScope: ["team.read"], projectScope: ["project.read"] },
      });
      await untilStatus(() => projectsOn(devB), 200);
    });

    it("a role taken from the person through A applies on B; given back, too", async () => {
      const devB = await Api.signIn(b!.url, DEV_EMAIL, DEV_PASSWORD);
      for (let i = 0; i < 3; i++) expect((await projectsOn(devB)).status).toBe(200);
      await ownerA.ok("PATCH", `/v1/teams/${TEAM}/members/${devUserId}`, { roles: ["viewer"] });
      await untilStatus(() => projectsOn(devB), 403);
      await ownerA.ok("PATCH", `/v1/teams/${TEAM}/members/${devUserId}`, { roles: ["reader"] });
      await untilStatus(() => projectsOn(devB), 200);
    });

    it("the person removed from the team through A no longer reaches it on B", async () => {
      const devB = await Api.signIn(b!.url, DEV_EMAIL, DEV_PASSWORD);
      for (let i = 0; i < 3; i++) expect((await projectsOn(devB)).status).toBe(200);
      await ownerA.ok("DELETE", `/v1/teams/${TEAM}/members/${devUserId}`);
      await untilStatus(() => projectsOn(devB), 404);
    });

    it("a session signed out through A is refused on B", async () => {
      const ownerB = await Api.signIn(b!.url);
      for (let i = 0; i < 3; i++) expect((await ownerB.request("GET", "/v1/session")).status).toBe(200);
      const sameOnA = ownerB.on(a!.url);
      expect((await sameOnA.request("DELETE", "/v1/session")).status).toBe(200);
      await untilStatus(() => ownerB.request("GET", "/v1/session"), 401);
      expect((await projectsOn(ownerB)).status).toBe(401);
    });
  });
}
