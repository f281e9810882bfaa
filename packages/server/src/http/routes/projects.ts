import { PageQuery, Project, ProjectCreate, ProjectUpdate, Slug } from "@latchkey/core";
import { z } from "zod";
import type { Services } from "../../services/app-services.js";
import type { Principal } from "../../access/principal.js";
import type { Router } from "../route.js";
import { Deleted } from "./params.js";
import { entityOf } from "../../access/access.js";

const Params = z.strictObject({ teamId: Slug.optional() });
const ProjectParams = z.strictObject({ teamId: Slug.optional(), projectId: Slug });

/** The team a request acts on: named by the path, or implied by a team token (`/v1/projects`). */
const teamOf = (principal: Principal, params: { teamId?: string | undefined }): string =>
  entityOf(principal, params, "teamId", "team", "projects").id;

/** Projects: the protected resource. */
export function projectRoutes(router: Router, { projects }: Services): void {
  const tags = ["projects"];
  router.add({
    method: "GET",
    url: ["/v1/teams/:teamId/projects", "/v1/projects"],
    summary: "List the projects you may read",
    tags,
    permission: "project.read",
    params: Params,
    query: PageQuery,
    reply: Project,
    list: "projects",
    handler: ({ principal, params, query }) =>
      projects.list(principal, teamOf(principal, params), { perPage: query.per_page, cursor: query.cursor }),
  });
  router.add({
    method: "POST",
    url: ["/v1/teams/:teamId/projects", "/v1/projects"],
    summary: "Create a project",
    tags,
    permission: "project.create",
    params: Params,
    body: ProjectCreate,
    reply: Project,
    handler: ({ principal, params, body }) => projects.create(principal, teamOf(principal, params), body),
  });
  router.add({
    method: "GET",
    url: ["/v1/teams/:teamId/projects/:projectId", "/v1/projects/:projectId"],
    summary: "Get a project",
    tags,
    permission: "project.read",
    params: ProjectParams,
    reply: Project,
    handler: ({ principal, params }) => projects.get(principal, teamOf(principal, params), params.projectId),
  });
  router.add({
    method: "PATCH",
    url: ["/v1/teams/:teamId/projects/:projectId", "/v1/projects/:projectId"],
    summary: "Edit a project",
    tags,
    permission: "project.update",
    params: ProjectParams,
    body: ProjectUpdate,
    reply: Project,
    handler: ({ principal, params, body }) => projects.update(principal, teamOf(principal, params), params.projectId, body),
  });
  router.add({
    method: "DELETE",
    url: ["/v1/teams/:teamId/projects/:projectId", "/v1/projects/:projectId"],
    summary: "Delete a project",
    tags,
    permission: "project.delete",
    params: ProjectParams,
    reply: Deleted,
    handler: ({ principal, params }) => projects.remove(principal, teamOf(principal, params), params.projectId),
  });
}
