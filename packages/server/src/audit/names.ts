import type { Executor } from "../store/database.js";
import { teamOfPath, type AuditRow } from "./order.js";

/** The names a page of events refers to, read once for the page: a few queries, each of at most a page of ids. */
export interface Names {
  /** An actor's name: the person's, or the token's. */
  actor(row: AuditRow): string | undefined;
  /** A resource's name as it is now, or as the change recorded it once it is gone. */
  resource(row: AuditRow): string | undefined;
}

const unique = (values: (string | null | undefined)[]): string[] => [...new Set(values.filter((v): v is string => !!v))];

/** `details.after.name` or `details.before.name` of a change event: the name of something since deleted or renamed. */
function recordedName(row: AuditRow): string | undefined {
  if (row.details.length <= 2 || !row.details.includes('"name"')) return undefined;
  const details = JSON.parse(row.details) as { before?: { name?: unknown }; after?: { name?: unknown } };
  const name = details.after?.name ?? details.before?.name;
  return typeof name === "string" ? name : undefined;
}

/** The team a row's project belongs to: its own team, or the team an organisation token's request named. */
const teamOf = (row: AuditRow): string | null => (row.entity_type === "team" ? row.entity_id : teamOfPath(row.path));

/**
 * Names for the ids of audit events, resolved when a page is read (never when an event is recorded: the hot path
 * stays as it is). A role is looked up in its event's team or organisation, a project in its team, so that an id
 * shared by two teams never borrows the other's name.
 */
export function createAuditNames(db: Executor) {
  return {
    async of(rows: readonly AuditRow[]): Promise<Names> {
      const ofType = (type: string) => rows.filter((r) => r.resource_type === type);
      const tokenIds = unique([
        ...rows.filter((r) => r.actor_type === "apiToken").map((r) => r.actor_id),
        ...ofType("apiTokens").map((r) => r.resource_id),
      ]);
      const userIds = unique([
        ...rows.filter((r) => r.actor_type === "user").map((r) => r.actor_id),
        ...ofType("members").map((r) => r.resource_id),
      ]);
      const teamIds = unique(ofType("teams").map((r) => r.resource_id));
      const orgIds = unique(ofType("orgs").map((r) => r.resource_id));
      const roleRows = ofType("roles").filter((r) => r.resource_id);
      const roleEntities = unique(roleRows.map((r) => `${r.entity_type}:${r.entity_id}`));
      const projectRows = ofType("projects").filter((r) => r.resource_id);
      const projectTeams = unique(projectRows.map(teamOf));

      const [tokens, users, teams, orgs, roles, projects] = await Promise.all([
        tokenIds.length ? db.selectFrom("api_tokens").select(["id", "name"]).where("id", "in", tokenIds).execute() : [],
        userIds.length ? db.selectFrom("users").select(["id", "name"]).where("id", "in", userIds).execute() : [],
        teamIds.length ? db.selectFrom("teams").select(["id", "name"]).where("id", "in", teamIds).execute() : [],
        orgIds.length ? db.selectFrom("orgs").select(["id", "name"]).where("id", "in", orgIds).execute() : [],
        Promise.all(
          roleEntities.map(async (e) => {
            const [type, id] = [e.slice(0, e.indexOf(":")) as "team" | "org", e.slice(e.indexOf(":") + 1)];
            const ids = unique(roleRows.filter((r) => r.entity_type === type && r.entity_id === id).map((r) => r.resource_id));
            const found = await db
              .selectFrom("roles")
              .select(["id", "name"])
              .where("entity_type", "=", type)
              .where("entity_id", "=", id)
              .where("id", "in", ids)
              .execute();
            return found.map((r) => [`${e}:${r.id}`, r.name] as const);
          }),
        ),
        Promise.all(
          projectTeams.map(async (team) => {
            const ids = unique(projectRows.filter((r) => teamOf(r) === team).map((r) => r.resource_id));
            const found = await db
              .selectFrom("projects")
              .select(["id", "name"])
              .where("team_id", "=", team)
              .where("id", "in", ids)
              .execute();
            return found.map((r) => [`${team}:${r.id}`, r.name] as const);
          }),
        ),
      ]);
      const byId = (list: { id: string; name: string }[]) => new Map(list.map((r) => [r.id, r.name]));
      const tokenNames = byId(tokens);
      const userNames = byId(users);
      const teamNames = byId(teams);
      const orgNames = byId(orgs);
      const roleNames = new Map(roles.flat());
      const projectNames = new Map(projects.flat());

      const live = (row: AuditRow): string | undefined => {
        const id = row.resource_id;
        if (!id) return undefined;
        switch (row.resource_type) {
          case "apiTokens":
            return tokenNames.get(id);
          case "members":
            return userNames.get(id);
          case "teams":
            return teamNames.get(id);
          case "orgs":
            return orgNames.get(id);
          case "roles":
            return roleNames.get(`${row.entity_type}:${row.entity_id}:${id}`);
          case "projects":
            return projectNames.get(`${teamOf(row) ?? ""}:${id}`);
          default:
            return undefined;
        }
      };
      return {
        actor: (row) =>
          row.actor_type === "apiToken"
            ? tokenNames.get(row.actor_id)
            : row.actor_type === "user"
              ? userNames.get(row.actor_id)
              : undefined,
        resource: (row) => live(row) ?? (row.resource_id ? recordedName(row) : undefined),
      };
    },
  };
}

export type AuditNames = ReturnType<typeof createAuditNames>;
