import { PageQuery, Project, ProjectCreate, ProjectUpdate, Slug } from "@latchkey/core";
import { z } from "zod";
import type { Services } from "../../services/app-services.js";
import type { Router } from "../route.js";
import { Deleted } from "./params.js";
import { idFrom } from "../../services/entities.js";

const Params = z.strictObject({ teamId: Slug.optional() });
const ProjectParams = z.strictObject({ teamId: Slug.optional(), projectId: Slug });

/**
 * Projects: the protected resource. The team is named by the path or implied by a team token (`/v1/projects`); the
 * router checks the permission on it, and on the project the path names (a project restriction may exclude it).
 */
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
    handler: ({ principal, entity, query }) => projects.list(principal, entity, { perPage: query.perPage, cursor: query.cursor }),
  });
  router.add({
    method: "POST",
    url: ["/v1/teams/:teamId/projects", "/v1/projects"],
    summary: "Create a project",
    tags,
    permission: "project.create",
    params: Params,
    body: ProjectCreate,
    // A restricted role may create only the projects it could then reach.
    names: ({ params, body }) => ({ ...params, projectId: idFrom(body.id, body.name) }),
    reply: Project,
    handler: ({ principal, entity, body }) => projects.create(principal, entity, body),
  });
  router.add({
    method: "GET",
    url: ["/v1/teams/:teamId/projects/:projectId", "/v1/projects/:projectId"],
    summary: "Get a project",
    tags,
    permission: "project.read",
    params: ProjectParams,
    reply: Project,
    handler: ({ entity, params }) => projects.get(entity, params.projectId),
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
    handler: ({ principal, entity, params, body }) => projects.update(principal, entity, params.projectId, body),
  });
  router.add({
    method: "DELETE",
    url: ["/v1/teams/:teamId/projects/:projectId", "/v1/projects/:projectId"],
    summary: "Delete a project",
    tags,
    permission: "project.delete",
    params: ProjectParams,
    reply: Deleted,
    handler: ({ principal, entity, params }) => projects.remove(principal, entity, params.projectId),
  });
}
