/**
 * End to end: real server processes (packages/server/dist/main.js) over HTTP.
 *
 * - One process on SQLite: a token works, and is refused at once after its revocation (always runs).
 * - Two processes on one PostgreSQL database, same master key and public URL (runs when the global setup found
 *   PostgreSQL): a revocation or role edit made through A applies on B's next request, and still does while B's
 *   LISTEN connection is cut (B reads through to the database, then resyncs once it reconnects).
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
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
/** How long a change may take to reach the other process while its feed is up (the benchmark goal is 50 ms p99). */
const PROPAGATION_DEADLINE_MS = 2000;
/** How long a revocation may take to reach the other process while its feed is cut ("within seconds"). */
const CUT_DEADLINE_MS = 5000;
const POLL_MS = 10;

const postgresUrl = inject("postgresUrl");

interface Minted {
  id: string;
  token: string;
}

/** Creates an API token of the team from a role, through one process. */
async function mint(owner: Api, name: string, roleId = "default"): Promise<Minted> {
  const data = await owner.ok<{ token: string; apiToken: { id: string } }>("POST", `/v1/teams/${TEAM}/tokens`, { name, roleId });
  return { id: data.apiToken.id, token: data.token };
}

const listProjects = (server: ServerProcess, token: string): Promise<Reply> =>
  new Api(server.url, { bearer: token }).request("GET", "/v1/projects");

/** Prints every process's output when a test fails: the children run silent, but a crash still says why. */
function dumpOnFailure(servers: () => (ServerProcess | undefined)[]) {
  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => {
      for (const s of servers()) {
        if (!s) continue;
        const exit = s.exited();
        process.stderr.write(
          `--- server ${s.name} (${s.url})${exit ? ` exited ${JSON.stringify(exit)}` : " running"} ---\n${s.output()}\n--- end ${s.name} ---\n`,
        );
      }
    });
  });
}

beforeAll(() => ensureBuilt(), 300_000);

describe("one server process on SQLite", () => {
  let server: ServerProcess | undefined;
  let owner: Api;

  beforeAll(async () => {
    server = await startServer({ name: "sqlite", port: await freePort(), publicUrl: PUBLIC_URL });
    owner = await Api.signIn(server.url);
    await owner.ok("POST", "/v1/teams", { name: "Acme" });
    await owner.ok("POST", `/v1/teams/${TEAM}/projects`, { name: "Web" });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  }, 20_000);
  dumpOnFailure(() => [server]);

  it("serves a token and refuses it on the first request after its revocation", async () => {
    const { id, token } = await mint(owner, "sqlite smoke");
    expect((await listProjects(server!, token)).status).toBe(200);
    expect((await listProjects(server!, token)).status).toBe(200);
    await owner.ok("DELETE", `/v1/teams/${TEAM}/tokens/${id}`);
    const refused = await listProjects(server!, token);
    expect(refused.status).toBe(401);
    expect(refused.body.error?.code).toBe("TOKEN_REVOKED");
    expect(refused.headers.get("www-authenticate")).toMatch(/^Bearer /);
    expect((await new Api(server!.url).request("GET", "/healthz")).status).toBe(200);
  });
});

for (const adminUrl of postgresUrl ? [postgresUrl] : []) {
  describe("two server processes on one PostgreSQL", () => {
    const APP_B = `latchkey-e2e-b-${randomBytes(3).toString("hex")}`;
    let db: E2eDatabase | undefined;
    let a: ServerProcess | undefined;
    let b: ServerProcess | undefined;
    /** The bootstrap owner's console session on A (revocations and role edits go through A). */
    let ownerA: Api;

    beforeAll(async () => {
      db = await createDatabase(adminUrl);
      const masterKey = randomBytes(32).toString("base64");
      const [portA, portB] = [await freePort(), await freePort()];
      const common = { databaseUrl: db.url, masterKey, publicUrl: PUBLIC_URL };
      // One after the other, so that A is the one that migrated and bootstrapped (first-start.test.ts starts several
      // processes at the same moment).
      a = await startServer({ ...common, name: "A", port: portA, applicationName: "latchkey-e2e-a" });
      b = await startServer({ ...common, name: "B", port: portB, applicationName: APP_B });
      ownerA = await Api.signIn(a.url);
      await ownerA.ok("POST", "/v1/teams", { name: "Acme" });
      await ownerA.ok("POST", `/v1/teams/${TEAM}/projects`, { name: "Web" });
    }, 90_000);

    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      await db?.drop();
    }, 30_000);

    dumpOnFailure(() => [a, b]);

    /** B's LISTEN connection(s), as PostgreSQL sees them. */
    const listenersOfB = async (): Promise<number[]> => {
      const { rows } = await db!.admin<{ pid: number }>(
        `select pid from pg_stat_activity
          where datname = $1 and application_name = $2 and query ilike '%LISTEN%latchkey_changes%' and pid <> pg_backend_pid()`,
        [db!.name, APP_B],
      );
      return rows.map((r) => r.pid);
    };

    it("a token minted through A works on B; revoked through A, B refuses it on its next request", async () => {
      const { id, token } = await mint(ownerA, "e2e revoke");
      // Warm B's caches: after this, B decides on the token from memory alone.
      for (let i = 0; i < 3; i++) expect((await listProjects(b!, token)).status).toBe(200);
      expect((await listProjects(a!, token)).status).toBe(200);

      await ownerA.ok("DELETE", `/v1/teams/${TEAM}/tokens/${id}`);
      // A applied its own change before it replied.
      const onA = await listProjects(a!, token);
      expect(onA.status).toBe(401);
      expect(onA.body.error?.code).toBe("TOKEN_REVOKED");

      const onB = await waitFor(
        () => listProjects(b!, token),
        (r) => r.status !== 200,
        { timeoutMs: PROPAGATION_DEADLINE_MS, intervalMs: POLL_MS },
      );
      console.info(
        `[e2e] revocation reached B after ${onB.elapsedMs.toFixed(1)} ms (${onB.attempts} request(s); the first after A's reply was ${onB.attempts === 1 ? "already refused" : "still served"})`,
      );
      expect(onB.met, `B still served the revoked token after ${PROPAGATION_DEADLINE_MS} ms`).toBe(true);
      expect(onB.value.status).toBe(401);
      expect(onB.value.body.error?.code).toBe("TOKEN_REVOKED");
      expect(onB.value.headers.get("www-authenticate")).toMatch(/^Bearer /);
      // For good: later requests on either process are refused too.
      expect((await listProjects(b!, token)).status).toBe(401);
    });

    it("a role edited through A applies on B's next request: remove project.read -> 403, add it back -> 200", async () => {
      const role = await ownerA.ok<{ id: string }>("POST", `/v1/teams/${TEAM}/roles`, {
        name: "E2E reader",
        permissions: { teamScope: ["team.read"], projectScope: ["project.read"] },
      });
      const { token } = await mint(ownerA, "e2e role edit", role.id);
      for (let i = 0; i < 3; i++) expect((await listProjects(b!, token)).status).toBe(200);

      await ownerA.ok("PATCH", `/v1/teams/${TEAM}/roles/${role.id}`, { permissions: { teamScope: ["team.read"], projectScope: [] } });
      expect((await listProjects(a!, token)).status).toBe(403);
      const denied = await waitFor(
        () => listProjects(b!, token),
        (r) => r.status !== 200,
        { timeoutMs: PROPAGATION_DEADLINE_MS, intervalMs: POLL_MS },
      );
      console.info(`[e2e] role edit (remove) reached B after ${denied.elapsedMs.toFixed(1)} ms (${denied.attempts} request(s))`);
      expect(denied.met, `B still allowed the request after ${PROPAGATION_DEADLINE_MS} ms`).toBe(true);
      expect(denied.value.status).toBe(403);
      expect(JSON.stringify(denied.value.body.error)).toContain("project.read");

      await ownerA.ok("PATCH", `/v1/teams/${TEAM}/roles/${role.id}`, {
        permissions: { teamScope: ["team.read"], projectScope: ["project.read"] },
      });
      const allowed = await waitFor(
        () => listProjects(b!, token),
        (r) => r.status !== 403,
        { timeoutMs: PROPAGATION_DEADLINE_MS, intervalMs: POLL_MS },
      );
      console.info(`[e2e] role edit (add back) reached B after ${allowed.elapsedMs.toFixed(1)} ms (${allowed.attempts} request(s))`);
      expect(allowed.met, `B still refused the request after ${PROPAGATION_DEADLINE_MS} ms`).toBe(true);
      expect(allowed.value.status).toBe(200);
    });

    it("with B's notification connection cut, a revocation through A is still refused by B within seconds", async () => {
      const cut = await mint(ownerA, "e2e cut");
      const keep = await mint(ownerA, "e2e keep");
      for (let i = 0; i < 3; i++) {
        expect((await listProjects(b!, cut.token)).status).toBe(200);
        expect((await listProjects(b!, keep.token)).status).toBe(200);
      }
      const before = await listenersOfB();
      expect(before.length, "B has a LISTEN connection").toBeGreaterThanOrEqual(1);

      const { rows } = await db!.admin<{ pid: number; terminated: boolean }>(
        `select pid, pg_terminate_backend(pid) as terminated from pg_stat_activity
          where query ilike '%LISTEN%latchkey_changes%' and datname = $1 and application_name = $2 and pid <> pg_backend_pid()`,
        [db!.name, APP_B],
      );
      expect(rows.filter((r) => r.terminated).length, "terminated B's LISTEN backend").toBeGreaterThanOrEqual(1);

      // At once, while B's feed is down: the NOTIFY of this revocation never reaches B.
      await ownerA.ok("DELETE", `/v1/teams/${TEAM}/tokens/${cut.id}`);
      const refused = await waitFor(
        () => listProjects(b!, cut.token),
        (r) => r.status !== 200,
        { timeoutMs: CUT_DEADLINE_MS, intervalMs: POLL_MS },
      );
      console.info(
        `[e2e] with B's feed cut, the revocation reached B after ${refused.elapsedMs.toFixed(1)} ms (${refused.attempts} request(s), ${refused.attempts - 1} served after the revoke)`,
      );
      expect(refused.met, `B still served the revoked token ${CUT_DEADLINE_MS} ms after its feed was cut`).toBe(true);
      expect(refused.value.status).toBe(401);
      expect(refused.value.body.error?.code).toBe("TOKEN_REVOKED");

      // B stays up and keeps serving valid tokens (reading through to the database, then from its caches again).
      expect((await new Api(b!.url).request("GET", "/healthz")).status).toBe(200);
      expect((await new Api(b!.url).request("GET", "/readyz")).status).toBe(200);
      expect((await listProjects(b!, keep.token)).status).toBe(200);
      expect(b!.exited()).toBeNull();

      // B reconnects its feed (a new LISTEN backend) ...
      const back = await waitFor(listenersOfB, (pids) => pids.some((p) => !before.includes(p)), { timeoutMs: 10_000, intervalMs: 50 });
      console.info(`[e2e] B listened again ${back.elapsedMs.toFixed(0)} ms after the revocation was refused`);
      expect(back.met, "B opened a new LISTEN connection").toBe(true);
      // ... and the revoked token stays refused after the resync.
      expect((await listProjects(b!, cut.token)).status).toBe(401);

      // With the feed back, a revocation reaches B as quickly as before the cut.
      expect((await listProjects(b!, keep.token)).status).toBe(200);
      await ownerA.ok("DELETE", `/v1/teams/${TEAM}/tokens/${keep.id}`);
      const again = await waitFor(
        () => listProjects(b!, keep.token),
        (r) => r.status !== 200,
        { timeoutMs: PROPAGATION_DEADLINE_MS, intervalMs: POLL_MS },
      );
      console.info(
        `[e2e] after the reconnect, a revocation reached B after ${again.elapsedMs.toFixed(1)} ms (${again.attempts} request(s))`,
      );
      expect(again.met).toBe(true);
      expect(again.value.body.error?.code).toBe("TOKEN_REVOKED");
      expect((await new Api(b!.url).request("GET", "/healthz")).status).toBe(200);
    });
  });
}
