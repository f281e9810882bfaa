import { sql } from "kysely";
import type { Executor } from "../database.js";
import { createdAtAndId, keysetPage, nothing, toPage, type PageRequest } from "../pagination.js";
import type { ProjectsTable } from "../schema.js";

export type ProjectRow = ProjectsTable;
/** A new project's row: Northflank's fields may be left out (null). */
export type NewProjectRow = Omit<ProjectRow, "region" | "color" | "cluster_id"> &
  Partial<Pick<ProjectRow, "region" | "color" | "cluster_id">>;

/** Queries on a team's projects. */
export function createProjectsRepository(db: Executor) {
  return {
    insert: (row: NewProjectRow) => db.insertInto("projects").values(row).execute(),
    byId: (teamId: string, id: string) =>
      db.selectFrom("projects").selectAll().where("team_id", "=", teamId).where("id", "=", id).executeTakeFirst(),
    update: (teamId: string, id: string, patch: Partial<Pick<ProjectRow, "name" | "description" | "color" | "updated_at">>) =>
      db.updateTable("projects").set(patch).where("team_id", "=", teamId).where("id", "=", id).execute(),
    remove: (teamId: string, id: string) => db.deleteFrom("projects").where("team_id", "=", teamId).where("id", "=", id).execute(),
    /** A page of the team's projects; `only`/`except` apply a role's project restrictions in SQL. */
    async page(teamId: string, page: PageRequest, filter: { only?: string[]; except?: string[] } = {}) {
      if (page.cursor === undefined && !filter.only && !filter.except) {
        // The common first page as one fixed statement: no query building on the hot path.
        const { rows } =
          await sql<ProjectRow>`select * from projects where team_id = ${teamId} order by created_at desc, id desc limit ${sql.lit(page.perPage + 1)}`.execute(
            db,
          );
        return toPage(rows, page.perPage, createdAtAndId);
      }
      let q = db.selectFrom("projects").selectAll().where("team_id", "=", teamId);
      if (filter.only) q = filter.only.length > 0 ? q.where("id", "in", filter.only) : q.where(nothing);
      if (filter.except && filter.except.length > 0) q = q.where("id", "not in", filter.except);
      return keysetPage(q, page);
    },
  };
}
