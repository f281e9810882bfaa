import { Command, Option } from "commander";
import { apiCommands } from "./commands/apis.js";
import { auditCommands } from "./commands/audit.js";
import { contextCommands } from "./commands/context.js";
import { loginCommands } from "./commands/login.js";
import { memberCommands } from "./commands/members.js";
import { projectCommands } from "./commands/projects.js";
import { roleCommands } from "./commands/roles.js";
import { scanCommands } from "./commands/scan.js";
import { tokenCommands } from "./commands/tokens.js";
import { trustPolicyCommands } from "./commands/trust-policies.js";
import { elevateCommand } from "./commands/elevate.js";
import { webhookCommands } from "./commands/webhooks.js";
import { createRuntime, type GlobalOptions, type Io, type RuntimeOf } from "./runtime.js";
import { VERSION } from "./version.js";

const ENVIRONMENT = `
Environment:
  LATCHKEY_TOKEN   an API token to use instead of the current context's (CI, scripts)
  LATCHKEY_HOST    the server to use instead of the current context's
  XDG_CONFIG_HOME  contexts are saved in $XDG_CONFIG_HOME/latchkey/config.json (default ~/.config/latchkey)
  NO_COLOR         no colour in tables on a terminal
  FORCE_COLOR      colour and relative times even when the output is piped

Tables on a terminal show relative times and colour; piped, or with -o json|yaml, times are exact (ISO 8601).

Exit status: 0 success, 1 the API refused or failed (its message is printed), 2 wrong usage.`;

/** The `latchkey` command with every subcommand; usage errors throw CommanderError (exitOverride). */
export function buildProgram(env: NodeJS.ProcessEnv, io: Io): Command {
  const program = new Command("latchkey")
    .description("Latchkey: API tokens governed by RBAC roles")
    .version(VERSION)
    .addOption(new Option("-o, --output <format>", "table, json or yaml").default("table"))
    .option("--team <teamId>", "act on this team")
    .option("--org <orgId>", "act on this organisation")
    .option("--context <name>", "use this saved context instead of the current one")
    .option("-y, --yes", "do not ask before destructive actions")
    .addHelpText("after", ENVIRONMENT)
    // Every command's help lists the flags that work everywhere (--team, --org, -o...), not only the top level's.
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError("(add --help for usage)")
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride();
  program.enablePositionalOptions(false);
  const runtimeOf: RuntimeOf = (command) => createRuntime(command.optsWithGlobals<GlobalOptions>(), env, io);
  loginCommands(program, runtimeOf);
  contextCommands(program, runtimeOf);
  tokenCommands(program, runtimeOf);
  roleCommands(program, runtimeOf);
  memberCommands(program, runtimeOf);
  projectCommands(program, runtimeOf);
  apiCommands(program, runtimeOf);
  auditCommands(program, runtimeOf);
  trustPolicyCommands(program, runtimeOf);
  elevateCommand(program, runtimeOf);
  scanCommands(program, runtimeOf);
  webhookCommands(program, runtimeOf);
  return program;
}
