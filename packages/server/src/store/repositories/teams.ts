import type { Executor } from "../database.js";
import { keysetPage, nothing, type PageRequest } from "../pagination.js";
import type { TeamsTable } from "../schema.js";

export type TeamRow = TeamsTable;
/** A new team: its own rate limit is unset unless given. */
export type NewTeam = Omit<TeamRow, "rate_limit_per_hour"> & { rate_limit_per_hour?: number | null };

/** Queries on teams. */
export function createTeamsRepository(db: Executor) {
  return {
    insert: (row: NewTeam) => db.insertInto("teams").values(row).execute(),
    byId: (id: string) => db.selectFrom("teams").selectAll().where("id", "=", id).executeTakeFirst(),
    idsOfOrg: async (orgId: string) => (await db.selectFrom("teams").select("id").where("org_id", "=", orgId).execute()).map((r) => r.id),
    update: (id: string, patch: Partial<Pick<TeamRow, "name" | "description" | "updated_at" | "rate_limit_per_hour">>) =>
      db.updateTable("teams").set(patch).where("id", "=", id).execute(),
    remove: (id: string) => db.deleteFrom("teams").where("id", "=", id).execute(),
    /**
     * Teams visible from team ids, whole organisations, and chosen teams of organisations (a person's memberships,
     * or a token's reach), newest first; `orgId` narrows to one organisation.
     */
    page(
      scope: { teamIds: string[]; orgIds: string[]; orgTeams?: { orgId: string; teamIds: string[] }[]; orgId?: string },
      page: PageRequest,
    ) {
      let q = db.selectFrom("teams").selectAll();
      q = q.where((eb) => {
        const reach = [];
        if (scope.teamIds.length > 0) reach.push(eb("id", "in", scope.teamIds));
        if (scope.orgIds.length > 0) reach.push(eb("org_id", "in", scope.orgIds));
        for (const o of scope.orgTeams ?? []) {
          if (o.teamIds.length > 0) reach.push(eb.and([eb("org_id", "=", o.orgId), eb("id", "in", o.teamIds)]));
        }
        return reach.length > 0 ? eb.or(reach) : nothing;
      });
      if (scope.orgId !== undefined) q = q.where("org_id", "=", scope.orgId);
      return keysetPage(q, page);
    },
  };
}
