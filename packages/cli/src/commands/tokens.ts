import type { TokenMetadata } from "@latchkey/sdk";
import type { Command } from "commander";
import { UsageError } from "../failure.js";
import { timeFrom } from "../durations.js";
import type { Column } from "../output.js";
import type { Runtime, RuntimeOf } from "../runtime.js";

const COLUMNS: Column<TokenMetadata>[] = [
  ["ID", (t) => t.id],
  ["NAME", (t) => t.name],
  ["ROLE", (t) => `${t.role.roleId} (${t.role.roleType})`],
  ["STATUS", (t) => `${t.revoked ? "revoked" : t.active ? "active" : "expired"}${t.creatorLeft ? ", creator left" : ""}`],
  ["EXPIRES", (t) => t.expiresAt ?? "never"],
  ["LAST USED", (t) => t.lastUsedAt ?? "never"],
];
const DETAIL: Column<TokenMetadata>[] = [
  ...COLUMNS,
  ["LAST USED FROM", (t) => t.lastUsedIp],
  ["DESCRIPTION", (t) => t.description],
  ["CREATED", (t) => t.createdAt],
  ["CREATED BY", (t) => t.creatorEmail],
  ["ALLOWED IPS", (t) => (t.allowedIps.length > 0 ? t.allowedIps.join(", ") : "any")],
  ["CREATOR LEFT", (t) => (t.creatorLeft ? "yes: keep or revoke it" : "no")],
  ["KEYS", (t) => t.keys.map((k) => `${k.id} (issued ${k.issuedAt}${k.expiresAt ? `, ends ${k.expiresAt}` : ""})`).join("; ")],
];

/** Collects a repeatable option (`--allowed-ip a --allowed-ip b`). */
const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
const ALLOWED_IP = "an IPv4 or IPv6 address or CIDR block the token may be used from (repeatable; default: any)";

/** The console's default lifetime of a new token, the same here. */
export const DEFAULT_LIFETIME = "30d";

const manage = (entity: { type: "team" | "org" }) => `${entity.type}.tokens.manage`;
const needs = (action: "read" | "manage") => `\nNeeds permission: team.tokens.${action} (team) or org.tokens.${action} (organisation).`;

/**
 * Prints a reply that holds a secret, once: on stdout only. With `--output json` (or yaml) stdout is the whole reply
 * and nothing else, so it can be piped into a secret store; the reminder goes to stderr.
 */
function printSecret<T extends { token: string }>(rt: Runtime, reply: T, describe: (reply: T) => string): void {
  if (rt.format === "table") rt.io.out(`${describe(reply)}\nToken (shown once; store it now):\n${reply.token}\n`);
  else rt.print(reply);
  rt.io.err("This is the only time the token is shown: it cannot be retrieved later, only regenerated.\n");
}

/** `tokens list|get|create|rotate|revoke`. */
export function tokenCommands(program: Command, runtimeOf: RuntimeOf): void {
  const tokens = program.command("tokens").description("API tokens of a team (--team) or organisation (--org)");
  const api = async (rt: Runtime) => {
    const entity = await rt.entity();
    return { entity, tokens: rt.client().tokens(entity) };
  };

  tokens
    .command("list")
    .description("List API tokens (never their secrets)")
    .option("--all", "include revoked and expired tokens")
    .addHelpText("after", needs("read"))
    .action(async (opts: { all?: boolean }, command: Command) => {
      const rt = runtimeOf(command);
      const { tokens } = await api(rt);
      rt.print(await tokens.all(opts.all === true, Infinity), COLUMNS);
    });

  tokens
    .command("get <tokenId>")
    .description("Show a token's metadata (never its secret)")
    .addHelpText("after", needs("read"))
    .action(async (tokenId: string, _opts: unknown, command: Command) => {
      const rt = runtimeOf(command);
      const { tokens } = await api(rt);
      rt.print(await tokens.get(tokenId), DETAIL);
    });

  tokens
    .command("create")
    .description("Create a token from a role; its secret is printed once (lives 30 days unless --expires says otherwise)")
    .requiredOption("--name <name>", "the token's name")
    .requiredOption("--role <roleId>", "the role it is generated from (it can do what the role allows, read live)")
    .option("--description <text>", "what it is for", "")
    .option("--expires <when>", "an ISO time, a duration from now (90d, 12h), or never", DEFAULT_LIFETIME)
    .option("--allowed-ip <cidr>", ALLOWED_IP, collect)
    .addHelpText("after", `${needs("manage")}\nYou can only create tokens from roles that grant no more than you hold.`)
    .action(async (opts: { name: string; role: string; description: string; expires: string; allowedIp?: string[] }, command: Command) => {
      const rt = runtimeOf(command);
      const expiresAt = opts.expires === "never" ? null : timeFrom(opts.expires, "--expires");
      const { tokens } = await api(rt);
      const reply = await tokens.create({
        name: opts.name,
        roleId: opts.role,
        description: opts.description,
        expiresAt,
        ...(opts.allowedIp ? { allowedIps: opts.allowedIp } : {}),
      });
      printSecret(rt, reply, (r) => `Created token ${r.apiToken.id} '${r.apiToken.name}' from role ${r.apiToken.role.roleId}.`);
    });

  tokens
    .command("update <tokenId>")
    .description("Rename a token, re-describe it, or change the addresses it may be used from (never its role)")
    .option("--name <name>", "a new name")
    .option("--description <text>", "a new description")
    .option("--allowed-ip <cidr>", `${ALLOWED_IP}; replaces the current list`, collect)
    .option("--any-ip", "remove the allow-list: any address")
    .addHelpText("after", needs("manage"))
    .action(
      async (tokenId: string, opts: { name?: string; description?: string; allowedIp?: string[]; anyIp?: boolean }, command: Command) => {
        const rt = runtimeOf(command);
        if (opts.anyIp && opts.allowedIp) throw new UsageError("give --allowed-ip or --any-ip, not both");
        const body = {
          ...(opts.name === undefined ? {} : { name: opts.name }),
          ...(opts.description === undefined ? {} : { description: opts.description }),
          ...(opts.allowedIp ? { allowedIps: opts.allowedIp } : opts.anyIp ? { allowedIps: [] } : {}),
        };
        if (Object.keys(body).length === 0) throw new UsageError("nothing to change: give --name, --description, --allowed-ip or --any-ip");
        const { tokens } = await api(rt);
        rt.print(await tokens.update(tokenId, body), DETAIL);
      },
    );

  tokens
    .command("rotate <tokenId>")
    .description("Regenerate a token: a new secret (printed once); the old one stops now or at --keep-old")
    .option("--keep-old <when>", "let the old secret work until then: an ISO time or a duration from now (1h, 7d)")
    .addHelpText("after", needs("manage"))
    .action(async (tokenId: string, opts: { keepOld?: string }, command: Command) => {
      const rt = runtimeOf(command);
      const until = opts.keepOld ? timeFrom(opts.keepOld, "--keep-old") : undefined;
      const { entity, tokens } = await api(rt);
      await rt.confirmAs(manage(entity), `Regenerate token ${tokenId}? Its current secret stops ${until ? `at ${until}` : "at once"}.`);
      const reply = await tokens.rotate(tokenId, until);
      printSecret(rt, reply, (r) => `Regenerated token ${tokenId}: new key ${r.key.id}.`);
    });

  tokens
    .command("revoke <tokenId>")
    .description("Revoke a token for good, at once, on every server process")
    .addHelpText("after", needs("manage"))
    .action(async (tokenId: string, _opts: unknown, command: Command) => {
      const rt = runtimeOf(command);
      if (!tokenId.trim()) throw new UsageError("give the token id");
      const { entity, tokens } = await api(rt);
      await rt.confirmAs(manage(entity), `Revoke token ${tokenId}? This cannot be undone.`);
      rt.print(await tokens.revoke(tokenId), DETAIL);
    });
}
