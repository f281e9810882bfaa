import type { TrustPolicy } from "@latchkey/sdk";
import type { Command } from "commander";
import { UsageError } from "../failure.js";
import type { Column } from "../output.js";
import { confirm } from "../prompt.js";
import type { Runtime, RuntimeOf } from "../runtime.js";

const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";

const COLUMNS: Column<TrustPolicy>[] = [
  ["ID", (p) => p.id],
  ["NAME", (p) => p.name],
  ["ISSUER", (p) => p.issuer],
  ["AUDIENCE", (p) => p.audience],
  [
    "CONDITIONS",
    (p) =>
      Object.entries(p.conditions)
        .map(([k, v]) => `${k}=${v}`)
        .join(", "),
  ],
  ["ROLE", (p) => p.roleId],
  ["MAX LIFETIME", (p) => `${p.maxLifetimeSeconds}s`],
];

const needs = (action: "read" | "manage") =>
  `\nNeeds permission: team.trustpolicies.${action} (team) or org.trustpolicies.${action} (organisation).`;

/** `--condition claim=value` options, collected. */
const collect = (value: string, previous: string[] = []) => [...previous, value];

function conditionsOf(list: string[] | undefined): Record<string, string> | undefined {
  if (!list || list.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new UsageError(`--condition: give claim=value, not ${item}`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

interface PolicyOptions {
  name?: string;
  issuer?: string;
  audience?: string;
  condition?: string[];
  role?: string;
  maxLifetime?: string;
  github?: string;
}

/** The body of a create or update from the options; `--github owner/repo` fills in GitHub Actions' issuer, audience and repository. */
function bodyOf(opts: PolicyOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const conditions = conditionsOf(opts.condition) ?? {};
  if (opts.github) {
    const [owner, repo] = opts.github.split("/");
    if (!owner || !repo) throw new UsageError("--github: give owner/repository");
    body["issuer"] = GITHUB_ISSUER;
    body["audience"] = `https://github.com/${owner}`;
    conditions["repository"] ??= opts.github;
  }
  if (opts.name !== undefined) body["name"] = opts.name;
  if (opts.issuer !== undefined) body["issuer"] = opts.issuer;
  if (opts.audience !== undefined) body["audience"] = opts.audience;
  if (Object.keys(conditions).length > 0) body["conditions"] = conditions;
  if (opts.role !== undefined) body["roleId"] = opts.role;
  if (opts.maxLifetime !== undefined) body["maxLifetimeSeconds"] = Number(opts.maxLifetime);
  return body;
}

/** `trust-policies list|get|create|update|delete`. */
export function trustPolicyCommands(program: Command, runtimeOf: RuntimeOf): void {
  const policies = program
    .command("trust-policies")
    .description("Trust policies of a team (--team) or organisation (--org): CI ID tokens that may be exchanged for tokens");
  const api = async (rt: Runtime) => rt.client().trustPolicies(await rt.entity());
  const fields = (c: Command) =>
    c
      .option("--issuer <url>", "the ID tokens' issuer (https://, or http:// on loopback)")
      .option("--audience <aud>", "the audience the ID tokens must name")
      .option("--condition <claim=value>", "a claim every token must carry; * matches anything (repeat for more)", collect)
      .option("--role <roleId>", "the role of the tokens it mints (no more than you hold)")
      .option("--max-lifetime <seconds>", "the longest a minted token lives (at most 3600; default 900)")
      .option("--github <owner/repo>", "GitHub Actions preset: its issuer, audience https://github.com/<owner>, repository=<owner/repo>");

  policies
    .command("list")
    .description("List trust policies")
    .addHelpText("after", needs("read"))
    .action(async (_opts: unknown, command: Command) => {
      const rt = runtimeOf(command);
      rt.print(await (await api(rt)).all(), COLUMNS);
    });

  policies
    .command("get <policyId>")
    .description("Show a trust policy")
    .addHelpText("after", needs("read"))
    .action(async (policyId: string, _opts: unknown, command: Command) => {
      const rt = runtimeOf(command);
      rt.print(await (await api(rt)).get(policyId), COLUMNS);
    });

  fields(policies.command("create").description("Create a trust policy").requiredOption("--name <name>", "the policy's name"))
    .addHelpText(
      "after",
      `${needs("manage")}\nExample: latchkey trust-policies create --team ci --name deploy --github acme/api --condition ref=refs/heads/main --role deployer`,
    )
    .action(async (opts: PolicyOptions, command: Command) => {
      const rt = runtimeOf(command);
      rt.print(await (await api(rt)).create(bodyOf(opts) as Parameters<Awaited<ReturnType<typeof api>>["create"]>[0]), COLUMNS);
    });

  fields(policies.command("update <policyId>").description("Edit a trust policy").option("--name <name>", "a new name"))
    .addHelpText("after", needs("manage"))
    .action(async (policyId: string, opts: PolicyOptions, command: Command) => {
      const rt = runtimeOf(command);
      rt.print(await (await api(rt)).update(policyId, bodyOf(opts)), COLUMNS);
    });

  policies
    .command("delete <policyId>")
    .description("Delete a trust policy (tokens it minted live on until they expire)")
    .addHelpText("after", needs("manage"))
    .action(async (policyId: string, _opts: unknown, command: Command) => {
      const rt = runtimeOf(command);
      await confirm(`Delete trust policy ${policyId}?`, rt.yes);
      rt.print(await (await api(rt)).delete(policyId));
    });
}
