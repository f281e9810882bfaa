import type { AuditEvent, AuditFilters } from "@latchkey/sdk";
import type { Command } from "commander";
import { UsageError } from "../failure.js";
import { timeFrom } from "../durations.js";
import { cell, type Column } from "../output.js";
import type { Runtime, RuntimeOf } from "../runtime.js";

interface Filters {
  eventType?: string;
  actor?: string;
  token?: string;
  outcome?: string;
  origin?: string;
  after?: string;
  before?: string;
  limit: string;
  interval: string;
}

const COLUMNS: Column<AuditEvent>[] = [
  ["AT", (e) => e.at],
  ["EVENT", (e) => e.eventType],
  // A token by its name (its creator is `actor.email`, in -o json|yaml); a person by address.
  ["ACTOR", (e) => (e.actor.type === "apiToken" ? `${e.actor.name ?? e.actor.id} (token)` : (e.actor.email ?? e.actor.id))],
  ["TOKEN", (e) => e.tokenId],
  ["OUTCOME", (e) => `${e.outcome} ${e.status}`],
  ["REQUEST", (e) => (e.method ? `${e.method} ${e.path}` : "")],
  ["RESOURCE", (e) => (e.resource.type ? `${e.resource.type}/${e.resource.id ?? ""}` : "")],
  ["ORIGIN", (e) => e.origin],
];

/** While tailing, events written late (request events are batched) are still picked up within this window. */
const LOOKBACK_MS = 30_000;

const positive = (value: string, flag: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number`);
  return n;
};

function queryOf(f: Filters) {
  return {
    eventType: f.eventType,
    actor: f.actor,
    tokenId: f.token,
    outcome: f.outcome as AuditFilters["outcome"],
    origin: f.origin as AuditFilters["origin"],
    after: f.after ? timeFrom(f.after, "--after") : undefined,
    before: f.before ? timeFrom(f.before, "--before") : undefined,
  };
}

function withFilters(command: Command): Command {
  return command
    .option("--event-type <type>", "a type (apiTokens.create, request) or a prefix of one (apiTokens: every apiTokens.* event)")
    .option("--actor <who>", "a user id or e-mail, or a token id")
    .option("--token <tokenId>", "only events of this token")
    .option("--outcome <outcome>", "allowed, denied or failed")
    .option("--origin <origin>", "api, ui or cli")
    .option("--after <time>", "ISO time")
    .option("--before <time>", "ISO time")
    .option("--limit <n>", "how many events at most", "50")
    .addHelpText("after", "\nNeeds permission: team.audit.read (team) or org.audit.read (organisation).");
}

/** `audit list|tail`: the team's or organisation's audit feed. */
export function auditCommands(program: Command, runtimeOf: RuntimeOf): void {
  const audit = program.command("audit").description("Audit log of a team (--team) or organisation (--org)");
  const feed = async (rt: Runtime) => rt.client().audit(await rt.entity());

  withFilters(audit.command("list").description("List audit events, newest first")).action(async (f: Filters, command: Command) => {
    const rt = runtimeOf(command);
    const limit = positive(f.limit, "--limit");
    rt.print(await (await feed(rt)).all(queryOf(f), limit), COLUMNS);
  });

  withFilters(audit.command("tail").description("Follow new audit events as they are written (polls; Ctrl-C stops)"))
    .option("--interval <seconds>", "how often to ask", "2")
    .action(async (f: Filters, command: Command) => {
      const rt = runtimeOf(command);
      const audit = await feed(rt);
      const everyMs = positive(f.interval, "--interval") * 1000;
      const filters = queryOf(f);
      const seen = new Map<string, number>();
      const show = (events: AuditEvent[]) => {
        const fresh = events.filter((e) => !seen.has(e.id)).reverse();
        for (const e of fresh) {
          seen.set(e.id, Date.parse(e.at));
          rt.io.out(
            rt.format === "table" ? `${COLUMNS.map(([, read]) => cell(read(e), rt.style)).join("  ")}\n` : `${JSON.stringify(e)}\n`,
          );
        }
      };
      show(await audit.all(filters, positive(f.limit, "--limit")));
      let stopped = false;
      process.once("SIGINT", () => (stopped = true));
      while (!stopped) {
        await new Promise((resolve) => setTimeout(resolve, everyMs));
        const newest = Math.max(0, ...seen.values());
        const after = newest > 0 ? new Date(newest - LOOKBACK_MS).toISOString() : filters.after;
        show(await audit.all({ ...filters, after }, 1000));
        const horizon = newest - 2 * LOOKBACK_MS;
        for (const [id, at] of seen) if (at < horizon) seen.delete(id);
      }
    });
}
