import { WEBHOOK_EVENT_TYPES, type Webhook, type WebhookCreate, type WebhookDelivery } from "@latchkey/sdk";
import type { Command } from "commander";
import { UsageError } from "../failure.js";
import type { Column } from "../output.js";
import { confirm } from "../prompt.js";
import type { Runtime, RuntimeOf } from "../runtime.js";

const COLUMNS: Column<Webhook>[] = [
  ["ID", (w) => w.id],
  ["URL", (w) => w.url],
  ["EVENTS", (w) => w.events.join(",")],
  ["STATUS", (w) => (w.enabled ? "enabled" : "paused")],
  ["DESCRIPTION", (w) => w.description],
];
const DELIVERY_COLUMNS: Column<WebhookDelivery>[] = [
  ["ID", (d) => d.id],
  ["EVENT", (d) => d.eventType],
  ["STATUS", (d) => d.status],
  ["ATTEMPTS", (d) => String(d.attempt)],
  ["LAST", (d) => (d.lastStatusCode !== null ? String(d.lastStatusCode) : (d.lastError ?? ""))],
  ["CREATED", (d) => d.createdAt],
  ["NEXT", (d) => d.nextAttemptAt ?? ""],
];

const needs = (action: "read" | "manage") => `\nNeeds permission: team.webhooks.${action} (team) or org.webhooks.${action} (organisation).`;
/** The server refuses unknown event types (400 naming them). */
const eventsOf = (list: string): WebhookCreate["events"] =>
  list
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean) as WebhookCreate["events"];

/** `webhooks list|get|create|update|delete|test|deliveries`. */
export function webhookCommands(program: Command, runtimeOf: RuntimeOf): void {
  const webhooks = program.command("webhooks").description("Webhooks of a team (--team) or organisation (--org)");
  const api = async (rt: Runtime) => rt.client().webhooks(await rt.entity());

  webhooks
    .command("list")
    .description("List webhooks (never their secrets)")
    .addHelpText("after", needs("read"))
    .action(async (_opts: unknown, command: Command) => {
      const rt = runtimeOf(command);
      rt.print(await (await api(rt)).all(), COLUMNS);
    });

  webhooks
    .command("get <webhookId>")
    .description("Show a webhook")
    .addHelpText("after", needs("read"))
    .action(async (webhookId: string, _opts: unknown, command: Command) => {
      const rt = runtimeOf(command);
      rt.print(await (await api(rt)).get(webhookId), COLUMNS);
    });

  webhooks
    .command("create <url>")
    .description("Add a webhook; its signing secret (whsec_...) is printed once")
    .requiredOption("--events <list>", `comma-separated: ${WEBHOOK_EVENT_TYPES.join(",")}`)
    .option("--description <text>", "what receives it", "")
    .addHelpText("after", needs("manage"))
    .action(async (url: string, opts: { events: string; description: string }, command: Command) => {
      const rt = runtimeOf(command);
      const reply = await (await api(rt)).create({ url, events: eventsOf(opts.events), description: opts.description });
      if (rt.format === "table")
        rt.io.out(`Webhook ${reply.id} -> ${reply.url}\nSigning secret (shown once; store it now):\n${reply.secret}\n`);
      else rt.print(reply);
      rt.io.err("This is the only time the signing secret is shown.\n");
    });

  webhooks
    .command("update <webhookId>")
    .description("Change a webhook's URL, events, description, or pause/resume it")
    .option("--url <url>", "a new address")
    .option("--events <list>", "comma-separated event types")
    .option("--description <text>", "a new description")
    .option("--enable", "resume sending")
    .option("--disable", "pause sending")
    .addHelpText("after", needs("manage"))
    .action(
      async (
        webhookId: string,
        opts: { url?: string; events?: string; description?: string; enable?: boolean; disable?: boolean },
        command: Command,
      ) => {
        if (opts.enable && opts.disable) throw new UsageError("choose --enable or --disable, not both");
        const rt = runtimeOf(command);
        const body = {
          ...(opts.url ? { url: opts.url } : {}),
          ...(opts.events ? { events: eventsOf(opts.events) } : {}),
          ...(opts.description !== undefined ? { description: opts.description } : {}),
          ...(opts.enable ? { enabled: true } : opts.disable ? { enabled: false } : {}),
        };
        rt.print(await (await api(rt)).update(webhookId, body), COLUMNS);
      },
    );

  webhooks
    .command("delete <webhookId>")
    .description("Delete a webhook and its delivery log")
    .addHelpText("after", needs("manage"))
    .action(async (webhookId: string, _opts: unknown, command: Command) => {
      const rt = runtimeOf(command);
      await confirm(`Delete webhook ${webhookId} and its deliveries?`, rt.yes);
      rt.print(await (await api(rt)).delete(webhookId));
    });

  webhooks
    .command("test <webhookId>")
    .description("Send a webhook.test event now")
    .addHelpText("after", needs("manage"))
    .action(async (webhookId: string, _opts: unknown, command: Command) => {
      const rt = runtimeOf(command);
      rt.print(await (await api(rt)).test(webhookId), DELIVERY_COLUMNS);
    });

  webhooks
    .command("deliveries <webhookId>")
    .description("A webhook's deliveries, newest first")
    .option("--limit <n>", "at most this many", "50")
    .addHelpText("after", needs("read"))
    .action(async (webhookId: string, opts: { limit: string }, command: Command) => {
      const rt = runtimeOf(command);
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError("--limit must be a positive integer");
      const hooks = await api(rt);
      const found: WebhookDelivery[] = [];
      let cursor: string | undefined;
      do {
        const page = await hooks.deliveries(webhookId, { perPage: Math.min(100, limit - found.length), ...(cursor ? { cursor } : {}) });
        found.push(...page.items);
        cursor = page.pagination.hasNextPage ? page.pagination.cursor : undefined;
      } while (cursor && found.length < limit);
      rt.print(found, DELIVERY_COLUMNS);
    });
}
