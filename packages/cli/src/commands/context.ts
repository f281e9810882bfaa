import type { Command } from "commander";
import { UsageError } from "../failure.js";
import { forgetContext } from "../contexts.js";
import { confirm } from "../prompt.js";
import type { RuntimeOf } from "../runtime.js";

/** `context list|use|remove`: the saved logins. Tokens are never shown. */
export function contextCommands(program: Command, runtimeOf: RuntimeOf): void {
  const context = program.command("context").description("Saved logins (contexts): list, switch, remove");

  context
    .command("list")
    .description("List saved contexts (never their tokens)")
    .action((_opts: unknown, command: Command) => {
      const rt = runtimeOf(command);
      const file = rt.contexts();
      const rows = Object.entries(file.contexts).map(([name, c]) => ({
        name,
        current: name === file.current,
        host: c.host,
        entityType: c.entityType,
        entityId: c.entityId,
        savedAt: c.savedAt,
      }));
      rt.print(rows, [
        ["", (r) => (r.current ? "*" : " ")],
        ["NAME", (r) => r.name],
        ["HOST", (r) => r.host],
        ["SCOPE", (r) => (r.entityType ? `${r.entityType} ${r.entityId}` : "-")],
        ["SAVED", (r) => r.savedAt],
      ]);
    });

  context
    .command("use <name>")
    .description("Make a saved context the current one")
    .action((name: string, _opts: unknown, command: Command) => {
      const rt = runtimeOf(command);
      const file = rt.contexts();
      if (!file.contexts[name]) throw new UsageError(`no context named '${name}' (see: latchkey context list)`);
      file.current = name;
      rt.saveContexts(file);
      rt.io.err(`Now using context '${name}'.\n`);
    });

  context
    .command("remove <name>")
    .description("Delete a saved context and its token from this machine")
    .action(async (name: string, _opts: unknown, command: Command) => {
      const rt = runtimeOf(command);
      const file = rt.contexts();
      if (!file.contexts[name]) throw new UsageError(`no context named '${name}' (see: latchkey context list)`);
      await confirm(`Remove context '${name}' and its token from this machine?`, rt.yes);
      const next = forgetContext(file, name);
      rt.saveContexts(file);
      rt.io.err(`Removed context '${name}'.${next && next !== name ? ` Now using context '${next}'.` : ""}\n`);
    });
}
