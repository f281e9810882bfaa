import type { OrgRestrictions, ProjectRestrictions, Role } from "@latchkey/sdk";
import { describeRestrictions } from "../restrictions.js";
import type { Command } from "commander";
import { UsageError } from "../failure.js";
import type { Column } from "../output.js";
import type { Runtime, RuntimeOf } from "../runtime.js";

const count = (p: Role["permissions"]) => p.orgScope.length + p.teamScope.length + p.projectScope.length + p.apiScope.length;
const COLUMNS: Column<Role>[] = [
  ["ID", (r) => r.id],
  ["NAME", (r) => r.name],
  ["PERMISSIONS", (r) => count(r.permissions)],
  ["RESTRICTED TO", (r) => describeRestrictions(r.restrictions)],
  ["UPDATED", (r) => r.updatedAt],
];
const DETAIL: Column<Role>[] = [
  ["ID", (r) => r.id],
  ["NAME", (r) => r.name],
  ["DESCRIPTION", (r) => r.description],
  ["ORG PERMISSIONS", (r) => r.permissions.orgScope.join(", ")],
  ["TEAM PERMISSIONS", (r) => r.permissions.teamScope.join(", ")],
  ["PROJECT PERMISSIONS", (r) => r.permissions.projectScope.join(", ")],
  ["API PERMISSIONS", (r) => r.permissions.apiScope.join(", ")],
  ["RESTRICTIONS", (r) => describeRestrictions(r.restrictions)],
  ["UPDATED", (r) => r.updatedAt],
];

const collect = (value: string, previous: string[]) => [...previous, ...value.split(",").filter(Boolean)];

/** Sorts permission ids into their scopes by prefix (`org.`, `team.`, `project.`); `api:permission` into apiScope. */
function permissionSet(ids: string[]): Role["permissions"] {
  const set: Role["permissions"] = { orgScope: [], teamScope: [], projectScope: [], apiScope: [] };
  for (const id of ids) {
    const scope = id.split(".")[0];
    if (id.includes(":")) set.apiScope.push(id);
    else if (scope === "org") set.orgScope.push(id);
    else if (scope === "team") set.teamScope.push(id);
    else if (scope === "project") set.projectScope.push(id);
    else
      throw new UsageError(
        `--permission ${id}: permission ids start with org., team. or project. (see GET /v1/permissions), or name an API's: billing:invoices.read`,
      );
  }
  return set;
}

/** `--restrictions` as given; the server checks its shape (a team role's projects, an organisation role's teams). */
function restrictionsFrom(json: string | undefined): { restrictions?: ProjectRestrictions & OrgRestrictions } {
  if (json === undefined) return {};
  try {
    return { restrictions: JSON.parse(json) as ProjectRestrictions & OrgRestrictions };
  } catch {
    throw new UsageError('--restrictions must be JSON, e.g. {"enabled":true,"projects":["web"],"restrictionMode":"in"}');
  }
}

const needs = (action: "read" | "manage") => `\nNeeds permission: team.roles.${action} (team) or org.roles.${action} (organisation).`;

/** `roles list|get|create|update|delete`. */
export function roleCommands(program: Command, runtimeOf: RuntimeOf): void {
  const roles = program.command("roles").description("Roles of a team (--team) or organisation (--org)");
  const api = async (rt: Runtime) => {
    const entity = await rt.entity();
    return { entity, roles: rt.client().roles(entity) };
  };

  roles
    .command("list")
    .description("List roles")
    .addHelpText("after", needs("read"))
    .action(async (_opts: unknown, command: Command) => {
      const rt = runtimeOf(command);
      rt.print(await (await api(rt)).roles.all(), COLUMNS);
    });

  roles
    .command("get <roleId>")
    .description("Show a role with its permissions and restrictions")
    .addHelpText("after", needs("read"))
    .action(async (roleId: string, _opts: unknown, command: Command) => {
      const rt = runtimeOf(command);
      rt.print(await (await api(rt)).roles.get(roleId), DETAIL);
    });

  roles
    .command("create <name>")
    .description("Create a role")
    .option("--id <slug>", "its id (default: derived from the name)")
    .option("--description <text>", "what it is for", "")
    .option("--permission <ids>", "a permission id, or an API's (billing:invoices.read); repeat, or separate with commas", collect, [])
    .option("--restrictions <json>", "limits to projects (team role) or teams (organisation role), as JSON")
    .addHelpText("after", `${needs("manage")}\nA role can grant only permissions you hold yourself.`)
    .action(
      async (name: string, opts: { id?: string; description: string; permission: string[]; restrictions?: string }, command: Command) => {
        const rt = runtimeOf(command);
        const body = {
          name,
          description: opts.description,
          permissions: permissionSet(opts.permission),
          ...(opts.id ? { id: opts.id } : {}),
          ...restrictionsFrom(opts.restrictions),
        };
        rt.print(await (await api(rt)).roles.create(body), DETAIL);
      },
    );

  roles
    .command("update <roleId>")
    .description("Change a role; tokens generated from it change with it on their next request")
    .option("--name <name>", "new name")
    .option("--description <text>", "new description")
    .option("--permission <ids>", "the new full list of permissions (repeat, or separate with commas)", collect, [])
    .option("--restrictions <json>", "new restrictions, as JSON")
    .addHelpText("after", `${needs("manage")}\nA role can grant only permissions you hold yourself.`)
    .action(
      async (
        roleId: string,
        opts: { name?: string; description?: string; permission: string[]; restrictions?: string },
        command: Command,
      ) => {
        const rt = runtimeOf(command);
        const body = {
          ...(opts.name !== undefined ? { name: opts.name } : {}),
          ...(opts.description !== undefined ? { description: opts.description } : {}),
          ...(opts.permission.length > 0 ? { permissions: permissionSet(opts.permission) } : {}),
          ...restrictionsFrom(opts.restrictions),
        };
        if (Object.keys(body).length === 0)
          throw new UsageError("nothing to change: give --name, --description, --permission or --restrictions");
        rt.print(await (await api(rt)).roles.update(roleId, body), DETAIL);
      },
    );

  roles
    .command("delete <roleId>")
    .description("Delete a role; every token generated from it is revoked with it")
    .addHelpText("after", needs("manage"))
    .action(async (roleId: string, _opts: unknown, command: Command) => {
      const rt = runtimeOf(command);
      const { entity, roles } = await api(rt);
      await rt.confirmAs(
        `${entity.type}.roles.manage`,
        `Delete role ${roleId}? Every token generated from it is revoked. This cannot be undone.`,
      );
      rt.print(await roles.delete(roleId));
    });
}
