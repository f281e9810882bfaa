import type { Config } from "../config.js";
import type { PageRequest } from "../store/pagination.js";
import type { TeamRow } from "../store/repositories/teams.js";
import type { Repositories, Store } from "../store/store.js";
import type { Entity } from "../access/access.js";
import { DomainError } from "@latchkey/core";
import { assertUnused, clearEntity, idFrom, seedEntity } from "./entities.js";
import type { Recorder } from "../audit/service.js";
import { assertRateLimitSettable } from "./rate-limit-setting.js";
import type { Principal } from "../access/principal.js";

/** A team as the API shows it. */
function toTeam(row: TeamRow) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    orgId: row.org_id,
    rateLimitPerHour: row.rate_limit_per_hour,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The row of an authorized team, read again where it is used (a team deleted meanwhile is a 404). */
async function rowOf(tx: Repositories, team: Entity): Promise<TeamRow> {
  const row = await tx.teams.byId(team.id);
  if (!row) throw new DomainError("NOT_FOUND", `team ${team.id} not found`);
  return row;
}

/** Teams: on their own or inside an organisation. Every entity given has been authorized by the router. */
export function createTeamService(deps: { store: Store; config: Config; now: () => Date; record: Recorder }) {
  const { store, config, now, record } = deps;
  return {
    /** Creates a team, inside `org` or on its own; the creating person becomes its owner. */
    async create(principal: Principal, input: { id?: string | undefined; name: string; description: string }, org?: Entity) {
      const orgId = org?.id;
      const id = idFrom(input.id, input.name);
      const at = now().toISOString();
      return store.transaction(async (tx) => {
        await assertUnused(tx, "team", id);
        const row: TeamRow = {
          id,
          org_id: orgId ?? null,
          name: input.name,
          description: input.description,
          rate_limit_per_hour: null,
          created_at: at,
          updated_at: at,
        };
        await tx.teams.insert(row);
        await seedEntity(tx, "team", id, principal.userId, at);
        await record(tx, {
          principal,
          entity: { type: "team", id },
          event: "teams.create",
          resource: { type: "teams", id },
          change: { after: toTeam(row) },
        });
        return toTeam(row);
      });
    },

    async get(team: Entity) {
      return toTeam(await rowOf(store, team));
    },

    /** The teams the principal reaches; `org` narrows to one organisation. */
    async list(principal: Principal, page: PageRequest, org?: Entity) {
      const orgId = org?.id;
      const teamIds: string[] = [];
      const orgIds: string[] = [];
      const orgTeams: { orgId: string; teamIds: string[] }[] = [];
      for (const g of principal.grants) {
        if (g.entityType === "team") teamIds.push(g.entityId);
        else if (!g.permissions.orgScope.includes("org.teams.read")) continue;
        // An organisation role limited to some teams lists only those, and only inside its organisation.
        else if (g.restrictions.enabled) orgTeams.push({ orgId: g.entityId, teamIds: g.restrictions.teams.map((t) => t.teamId) });
        else orgIds.push(g.entityId);
      }
      const result = await store.teams.page({ teamIds, orgIds, orgTeams, ...(orgId === undefined ? {} : { orgId }) }, page);
      return { ...result, items: result.items.map(toTeam) };
    },

    async update(
      principal: Principal,
      entity: Entity,
      patch: { name?: string | undefined; description?: string | undefined; rateLimitPerHour?: number | null | undefined },
    ) {
      const teamId = entity.id;
      assertRateLimitSettable(principal, "team", entity.resource, patch.rateLimitPerHour, config.rateLimit.maxPerHour);
      return store.transaction(async (tx) => {
        const team = await rowOf(tx, entity);
        const changes = {
          ...(patch.name === undefined ? {} : { name: patch.name }),
          ...(patch.description === undefined ? {} : { description: patch.description }),
          ...(patch.rateLimitPerHour === undefined ? {} : { rate_limit_per_hour: patch.rateLimitPerHour }),
          updated_at: now().toISOString(),
        };
        await tx.teams.update(teamId, changes);
        // Every process reads the new limit on its tokens' next request.
        if (patch.rateLimitPerHour !== undefined) await tx.publish({ t: "limits", entityType: "team", entityId: teamId });
        await record(tx, {
          principal,
          entity: { type: "team", id: teamId },
          event: "teams.update",
          resource: { type: "teams", id: teamId },
          change: { before: toTeam(team), after: toTeam({ ...team, ...changes }) },
        });
        return toTeam({ ...team, ...changes });
      });
    },

    async remove(principal: Principal, entity: Entity) {
      const teamId = entity.id;
      return store.transaction(async (tx) => {
        const team = await rowOf(tx, entity);
        await clearEntity(tx, "team", teamId, now().toISOString());
        await tx.teams.remove(teamId);
        // A team's own feed goes with it; a team of an organisation is remembered in the organisation's feed.
        const feed = team.org_id ? { type: "org" as const, id: team.org_id } : { type: "team" as const, id: teamId };
        await record(tx, {
          principal,
          entity: feed,
          event: "teams.delete",
          resource: { type: "teams", id: teamId },
          change: { before: toTeam(team) },
        });
        return { id: teamId, deleted: true as const };
      });
    },
  };
}

export type TeamService = ReturnType<typeof createTeamService>;
