import type { Api, ApiUpdate } from "@latchkey/sdk";
import type { Command } from "commander";
import type { Column } from "../output.js";
import { confirm } from "../prompt.js";
import type { RuntimeOf } from "../runtime.js";

type Permission = Api["permissions"][number];

const COLUMNS: Column<Api>[] = [
  ["ID", (a) => a.id],
  ["NAME", (a) => a.name],
  ["PERMISSIONS", (a) => a.permissions.length],
  ["UPDATED", (a) => a.updatedAt],
];
const DETAIL: Column<Api>[] = [
  ["ID", (a) => a.id],
  ["NAME", (a) => a.name],
  ["DESCRIPTION", (a) => a.description],
  // Full names, as roles grant them (`billing:invoices.read`); sensitive ones marked.
  ["PERMISSIONS", (a) => a.permissions.map((p) => `${a.id}:${p.id}${p.sensitive ? " (sensitive)" : ""}`).join(", ")],
  ["UPDATED", (a) => a.updatedAt],
];

const collect = (value: string, previous: string[]) => [...previous, ...value.split(",").filter(Boolean)];

interface PermissionOptions {
  permission: string[];
  sensitive: string[];
}

/** Permissions from `--permission` and `--sensitive` (a sensitive one need not be repeated under --permission). */
function permissionsFrom(opts: PermissionOptions, keep: readonly Permission[] = []): Permission[] {
  const ids = [...new Set([...opts.permission, ...opts.sensitive])];
  return ids.map((id) => ({
    id,
    description: keep.find((p) => p.id === id)?.description ?? "",
    sensitive: opts.sensitive.includes(id) || (keep.find((p) => p.id === id)?.sensitive ?? false),
  }));
}

const needs = (action: "read" | "manage") => `\nNeeds permission: team.apis.${action} (team) or org.apis.${action} (organisation).`;

/** `apis list|get|create|update|delete`: APIs of your own, whose permissions roles grant (`--api-permission`). */
export function apiCommands(program: Command, runtimeOf: RuntimeOf): void {
  const apis = program.command("apis").description("APIs of your own of a team (--team) or organisation (--org), and their permissions");
  const of = async (command: Command) => {
    const rt = runtimeOf(command);
    return { rt, api: rt.client().apis(await rt.entity()) };
  };

  apis
    .command("list")
    .description("List APIs")
    .addHelpText("after", needs("read"))
    .action(async (_opts: unknown, command: Command) => {
      const { rt, api } = await of(command);
      rt.print(await api.all(), COLUMNS);
    });

  apis
    .command("get <apiId>")
    .description("Show an API with its permissions")
    .addHelpText("after", needs("read"))
    .action(async (apiId: string, _opts: unknown, command: Command) => {
      const { rt, api } = await of(command);
      rt.print(await api.get(apiId), DETAIL);
    });

  apis
    .command("create <name>")
    .description("Register an API; the owner role receives its permissions")
    .option("--id <slug>", "its id (default: derived from the name)")
    .option("--description <text>", "what it is", "")
    .option("--permission <id>", "a permission it checks, e.g. invoices.read (repeatable, or comma-separated)", collect, [])
    .option("--sensitive <id>", "a permission to mark sensitive (repeatable, or comma-separated)", collect, [])
    .addHelpText("after", needs("manage"))
    .action(async (name: string, opts: PermissionOptions & { id?: string; description: string }, command: Command) => {
      const { rt, api } = await of(command);
      const body = { name, description: opts.description, permissions: permissionsFrom(opts), ...(opts.id ? { id: opts.id } : {}) };
      rt.print(await api.create(body), DETAIL);
    });

  apis
    .command("update <apiId>")
    .description("Edit an API; a permission removed is taken out of every role that granted it")
    .option("--name <name>", "a new name")
    .option("--description <text>", "a new description")
    .option("--permission <id>", "replace the permission list with these (repeatable, or comma-separated)", collect, [])
    .option("--sensitive <id>", "with --permission: mark these sensitive", collect, [])
    .option("--add-permission <id>", "add a permission (repeatable, or comma-separated)", collect, [])
    .option("--remove-permission <id>", "remove a permission, and take it out of every role (repeatable)", collect, [])
    .addHelpText("after", needs("manage"))
    .action(
      async (
        apiId: string,
        opts: PermissionOptions & { name?: string; description?: string; addPermission: string[]; removePermission: string[] },
        command: Command,
      ) => {
        const { rt, api } = await of(command);
        const body: ApiUpdate = {
          ...(opts.name === undefined ? {} : { name: opts.name }),
          ...(opts.description === undefined ? {} : { description: opts.description }),
        };
        const replace = opts.permission.length > 0 || opts.sensitive.length > 0;
        const edit = opts.addPermission.length > 0 || opts.removePermission.length > 0;
        if (replace || edit) {
          const current = (await api.get(apiId)).permissions;
          const base = replace ? permissionsFrom(opts, current) : current;
          const added = opts.addPermission
            .filter((id) => !base.some((p) => p.id === id))
            .map((id) => ({ id, description: "", sensitive: false }));
          const next = [...base, ...added].filter((p) => !opts.removePermission.includes(p.id));
          const dropped = current.filter((p) => !next.some((n) => n.id === p.id)).map((p) => `${apiId}:${p.id}`);
          if (dropped.length > 0) await confirm(`Take ${dropped.join(", ")} out of every role that grants it?`, rt.yes);
          body.permissions = next;
        }
        rt.print(await api.update(apiId, body), DETAIL);
      },
    );

  apis
    .command("delete <apiId>")
    .description("Delete an API; its permissions are taken out of every role")
    .addHelpText("after", needs("manage"))
    .action(async (apiId: string, _opts: unknown, command: Command) => {
      const { rt, api } = await of(command);
      await confirm(`Delete API ${apiId} and take its permissions out of every role? This cannot be undone.`, rt.yes);
      rt.print(await api.delete(apiId));
    });
}
