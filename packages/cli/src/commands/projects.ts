import type { Project } from "@latchkey/sdk";
import type { Command } from "commander";
import type { Column } from "../output.js";
import type { Runtime, RuntimeOf } from "../runtime.js";

const COLUMNS: Column<Project>[] = [
  ["ID", (p) => p.id],
  ["NAME", (p) => p.name],
  ["DESCRIPTION", (p) => p.description],
  ["CREATED", (p) => p.createdAt],
];

/** `projects list|get|create|delete`: projects of a team (`--team`, required with organisation tokens). */
export function projectCommands(program: Command, runtimeOf: RuntimeOf): void {
  const projects = program.command("projects").description("Projects of a team (--team ID; required with organisation tokens)");
  const api = async (rt: Runtime) => rt.client().projects(await rt.teamId());

  projects
    .command("list")
    .description("List projects")
    .addHelpText("after", "\nNeeds permission: project.read.")
    .action(async (_opts: unknown, command: Command) => {
      const rt = runtimeOf(command);
      rt.print(await (await api(rt)).all(), COLUMNS);
    });

  projects
    .command("get <projectId>")
    .description("Show a project")
    .addHelpText("after", "\nNeeds permission: project.read.")
    .action(async (projectId: string, _opts: unknown, command: Command) => {
      const rt = runtimeOf(command);
      rt.print(await (await api(rt)).get(projectId), COLUMNS);
    });

  projects
    .command("create <name>")
    .description("Create a project")
    .option("--id <slug>", "its id (default: derived from the name)")
    .option("--description <text>", "what it is", "")
    .addHelpText("after", "\nNeeds permission: project.create.")
    .action(async (name: string, opts: { id?: string; description: string }, command: Command) => {
      const rt = runtimeOf(command);
      const body = { name, description: opts.description, ...(opts.id ? { id: opts.id } : {}) };
      rt.print(await (await api(rt)).create(body), COLUMNS);
    });

  projects
    .command("delete <projectId>")
    .description("Delete a project")
    .addHelpText("after", "\nNeeds permission: project.delete.")
    .action(async (projectId: string, _opts: unknown, command: Command) => {
      const rt = runtimeOf(command);
      const projects = await api(rt);
      await rt.confirmAs("project.delete", `Delete project ${projectId}? This cannot be undone.`);
      rt.print(await projects.delete(projectId));
    });
}
