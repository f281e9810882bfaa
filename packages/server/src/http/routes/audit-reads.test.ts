import { afterEach, describe, expect, it } from "vitest";
import { dialects } from "../../test-support/databases.js";
import { startHarness, type Client, type Harness } from "../../test-support/harness.js";

/**
 * Issue 20, items 4 and 8, from the attacker's side: an ordinary member holding only the team's `default` role (which
 * carries `team.audit.read`) asks for the expensive audit reads (the chain check, JSON lines exports).
 */
describe.each(dialects())("expensive audit reads by a default member on %s", (kind) => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  const start = async (options: Parameters<typeof startHarness>[2] = {}): Promise<{ h: Harness; member: Client }> => {
    h = await startHarness(kind, {}, options);
    await h.owner.ok("POST", "/v1/teams", { name: "Acme" });
    const member = await h.newMember(h.owner, "/v1/teams/acme", ["default"]);
    return { h, member };
  };

  it("exports JSON lines without logging an error", async () => {
    const log: string[] = [];
    const { member } = await start({ logStream: { write: (line) => void log.push(line) } });
    const res = await member.request("GET", "/v1/teams/acme/audit-logs?format=jsonl");
    expect(res.status).toBe(200);
    expect(res.raw.trim().split("\n").length).toBeGreaterThanOrEqual(2);
    // pino writes level 50 for error and above.
    const errors = log.map((l) => JSON.parse(l) as { level: number; msg?: string }).filter((l) => l.level >= 50);
    expect(errors).toEqual([]);
  });
});
