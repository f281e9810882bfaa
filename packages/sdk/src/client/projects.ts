import type { Project, ProjectCreate } from "../types.js";
import { enc } from "./entity-path.js";
import type { Deleted, PageOptions, Transport } from "./transport.js";

/** `LatchkeyClient.projects`: projects of a team. */
export function createProjectsApi(t: Transport, teamId: string) {
  const base = `/v1/teams/${enc(teamId)}/projects`;
  return {
    list: (options: PageOptions = {}) => t.page<Project>(base, "projects", options),
    all: () => t.all<Project>(base, "projects"),
    get: (projectId: string) => t.request<Project>("GET", `${base}/${enc(projectId)}`),
    create: (body: ProjectCreate) => t.request<Project>("POST", base, { body }),
    delete: (projectId: string) => t.request<Deleted>("DELETE", `${base}/${enc(projectId)}`),
  };
}

/** What `LatchkeyClient.projects()` returns. */
export type ProjectsApi = ReturnType<typeof createProjectsApi>;
