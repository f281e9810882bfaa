import type { Config } from "../config.js";
import type { PageRequest } from "../store/pagination.js";
import type { OrgRow } from "../store/repositories/orgs.js";
import type { Repositories, Store } from "../store/store.js";
import type { Entity } from "../access/access.js";
import { DomainError } from "@latchkey/core";
import { assertUnused, clearEntity, idFrom, seedEntity } from "./entities.js";
import type { Recorder } from "../audit/service.js";
import { assertRateLimitSettable } from "./rate-limit-setting.js";
import type { Principal } from "../access/principal.js";

/** An organisation as the API shows it. */
function toOrg(row: OrgRow) {
  return { id: row.id, name: row.name, rateLimitPerHour: row.rate_limit_per_hour, createdAt: row.created_at, updatedAt: row.updated_at };
}

/** The row of an authorized organisation, read again where it is used (one deleted meanwhile is a 404). */
async function rowOf(tx: Repositories, org: Entity): Promise<OrgRow> {
  const row = await tx.orgs.byId(org.id);
  if (!row) throw new DomainError("NOT_FOUND", `organisation ${org.id} not found`);
  return row;
}

/** Organisations: groups of teams with roles that reach across them. Every entity given has been authorized by the router. */
export function createOrgService(deps: { store: Store; config: Config; now: () => Date; record: Recorder }) {
  const { store, config, now, record } = deps;
  return {
    /** Creates an organisation; the creating person becomes its owner. */
    async create(principal: Principal, input: { id?: string | undefined; name: string }) {
      const id = idFrom(input.id, input.name);
      const at = now().toISOString();
      return store.transaction(async (tx) => {
        await assertUnused(tx, "org", id);
        const row: OrgRow = { id, name: input.name, rate_limit_per_hour: null, created_at: at, updated_at: at };
        await tx.orgs.insert(row);
        await seedEntity(tx, "org", id, principal.userId, at);
        await record(tx, {
          principal,
          entity: { type: "org", id },
          event: "orgs.create",
          resource: { type: "orgs", id },
          change: { after: toOrg(row) },
        });
        return toOrg(row);
      });
    },

    async get(org: Entity) {
      return toOrg(await rowOf(store, org));
    },

    async list(principal: Principal, page: PageRequest) {
      const result = await store.orgs.pageForUser(principal.userId, page);
      const reachable = result.items.filter((o) => principal.grants.some((g) => g.entityType === "org" && g.entityId === o.id));
      return { ...result, items: reachable.map(toOrg) };
    },

    async update(principal: Principal, entity: Entity, patch: { name?: string | undefined; rateLimitPerHour?: number | null | undefined }) {
      const orgId = entity.id;
      assertRateLimitSettable(principal, "org", entity.resource, patch.rateLimitPerHour, config.rateLimit.maxPerHour);
      return store.transaction(async (tx) => {
        const org = await rowOf(tx, entity);
        const changes = {
          ...(patch.name === undefined ? {} : { name: patch.name }),
          ...(patch.rateLimitPerHour === undefined ? {} : { rate_limit_per_hour: patch.rateLimitPerHour }),
          updated_at: now().toISOString(),
        };
        await tx.orgs.update(orgId, changes);
        // Every process reads the new limit on its tokens' next request.
        if (patch.rateLimitPerHour !== undefined) await tx.publish({ t: "limits", entityType: "org", entityId: orgId });
        await record(tx, {
          principal,
          entity: { type: "org", id: orgId },
          event: "orgs.update",
          resource: { type: "orgs", id: orgId },
          change: { before: toOrg(org), after: toOrg({ ...org, ...changes }) },
        });
        return toOrg({ ...org, ...changes });
      });
    },

    /** Deletes the organisation with every team in it. */
    async remove(principal: Principal, entity: Entity) {
      const orgId = entity.id;
      return store.transaction(async (tx) => {
        const org = await rowOf(tx, entity);
        await record(tx, {
          principal,
          entity: { type: "org", id: orgId },
          event: "orgs.delete",
          resource: { type: "orgs", id: orgId },
          change: { before: toOrg(org) },
        });
        for (const teamId of await tx.teams.idsOfOrg(orgId)) await clearEntity(tx, "team", teamId, now().toISOString());
        await clearEntity(tx, "org", orgId, now().toISOString());
        await tx.orgs.remove(orgId);
        return { id: orgId, deleted: true as const };
      });
    },
  };
}

export type OrgService = ReturnType<typeof createOrgService>;
