import { DomainError, projectFilter } from "@latchkey/core";
import type { PageRequest } from "../store/pagination.js";
import type { ProjectRow } from "../store/repositories/projects.js";
import type { Repositories, Store } from "../store/store.js";
import type { Entity } from "../access/access.js";
import { idFrom } from "./entities.js";
import type { Recorder } from "../audit/service.js";
import type { Principal } from "../access/principal.js";
import { createProjectLists } from "./project-lists.js";

/** What a project is created from (Northflank's fields optional). */
export interface ProjectInput {
  id?: string | undefined;
  name: string;
  description: string;
  region?: string | undefined;
  color?: string | undefined;
  clusterId?: string | undefined;
}

/** A project as the API shows it. */
export function toProject(row: ProjectRow) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    region: row.region,
    color: row.color,
    clusterId: row.cluster_id,
    createdAt: row.created_at,
  };
}

/** Projects: the resource a team's roles protect, guarded by projectScope permissions and project restrictions. */
export function createProjectService(deps: { store: Store; now: () => Date; record: Recorder }) {
  const { store, now, record } = deps;
  const lists = createProjectLists(store, toProject);
  /** Every change to a team's projects says so on the change feed, in its transaction. */
  const changed = (tx: Repositories, teamId: string) => tx.publish({ t: "projects", teamId });
  const find = async (teamId: string, projectId: string) => {
    const row = await store.projects.byId(teamId, projectId);
    if (!row) throw new DomainError("NOT_FOUND", `project ${projectId} not found`);
    return row;
  };

  return {
    // Every method takes a team the router has authorized for the route's permission (http/route.ts).

    /** The projects of a team the principal may read: restrictions become a SQL filter, so pages stay full. */
    async list(principal: Principal, team: Entity, page: PageRequest) {
      const filter = projectFilter(principal.grants, "project.read", team.resource);
      if (filter.all && page.cursor === undefined) return lists.firstPage(team.id, page.perPage);
      const result = await store.projects.page(
        team.id,
        page,
        filter.all ? {} : "only" in filter ? { only: filter.only } : { except: filter.except },
      );
      return { ...result, items: result.items.map(toProject) };
    },

    /** A project (checked before looking: a restricted role learns nothing about projects outside its reach). */
    async get(team: Entity, projectId: string) {
      return toProject(await find(team.id, projectId));
    },

    /** Northflank's `networking` is accepted by the schema and dropped here: it is neither stored nor shown. */
    async create(principal: Principal, team: Entity, input: ProjectInput) {
      const id = idFrom(input.id, input.name);
      const at = now().toISOString();
      const row: ProjectRow = {
        team_id: team.id,
        id,
        name: input.name,
        description: input.description,
        region: input.region ?? null,
        color: input.color ?? null,
        cluster_id: input.clusterId ?? null,
        created_at: at,
        updated_at: at,
      };
      await store.transaction(async (tx) => {
        await tx.projects.insert(row);
        await changed(tx, team.id);
        await record(tx, {
          principal,
          entity: { type: "team", id: team.id },
          event: "projects.create",
          resource: { type: "projects", id },
          change: { after: toProject(row) },
        });
      });
      return toProject(row);
    },

    async update(
      principal: Principal,
      team: Entity,
      projectId: string,
      patch: { name?: string | undefined; description?: string | undefined; color?: string | null | undefined },
    ) {
      return store.transaction(async (tx) => {
        const row = await tx.projects.byId(team.id, projectId);
        if (!row) throw new DomainError("NOT_FOUND", `project ${projectId} not found`);
        const changes = {
          ...(patch.name === undefined ? {} : { name: patch.name }),
          ...(patch.description === undefined ? {} : { description: patch.description }),
          ...(patch.color === undefined ? {} : { color: patch.color }),
          updated_at: now().toISOString(),
        };
        await tx.projects.update(team.id, projectId, changes);
        await changed(tx, team.id);
        await record(tx, {
          principal,
          entity: { type: "team", id: team.id },
          event: "projects.update",
          resource: { type: "projects", id: projectId },
          change: { before: toProject(row), after: toProject({ ...row, ...changes }) },
        });
        return toProject({ ...row, ...changes });
      });
    },

    async remove(principal: Principal, team: Entity, projectId: string) {
      return store.transaction(async (tx) => {
        const row = await tx.projects.byId(team.id, projectId);
        if (!row) throw new DomainError("NOT_FOUND", `project ${projectId} not found`);
        await tx.projects.remove(team.id, projectId);
        await changed(tx, team.id);
        await record(tx, {
          principal,
          entity: { type: "team", id: team.id },
          event: "projects.delete",
          resource: { type: "projects", id: projectId },
          change: { before: toProject(row) },
        });
        return { id: projectId, deleted: true as const };
      });
    },

    close: lists.close,
  };
}

export type ProjectService = ReturnType<typeof createProjectService>;
