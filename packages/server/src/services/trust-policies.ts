import { DomainError } from "@latchkey/core";
import type { PageRequest } from "../store/pagination.js";
import type { TrustPolicyRow } from "../store/repositories/trust-policies.js";
import type { Repositories, Store } from "../store/store.js";
import type { Recorder } from "../audit/service.js";
import { grantOf, type Principal } from "../access/principal.js";
import { assertCovers, type Entity } from "../access/access.js";
import { newId } from "../lib/secrets.js";
import { roleOf } from "./roles.js";

/** A trust policy as the API shows it. */
export function toTrustPolicy(row: TrustPolicyRow) {
  return {
    id: row.id,
    name: row.name,
    issuer: row.issuer,
    audience: row.audience,
    conditions: JSON.parse(row.conditions) as Record<string, string>,
    roleId: row.role_id,
    maxLifetimeSeconds: row.max_lifetime_seconds,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface PolicyInput {
  name: string;
  issuer: string;
  audience: string;
  conditions: Record<string, string>;
  roleId: string;
  maxLifetimeSeconds: number;
}

/**
 * Trust policies of teams and organisations: which foreign ID tokens (a CI job's) the token exchange turns into a
 * token of which role. A policy mints tokens, so whoever writes one must also cover its role (no escalation), as for
 * creating a token.
 */
export function createTrustPolicyService(deps: { store: Store; now: () => Date; record: Recorder }) {
  const { store, now, record } = deps;

  const policyIn = async (tx: Repositories, entity: Entity, policyId: string) => {
    const row = await tx.trustPolicies.byIdIn(entity.type, entity.id, policyId);
    if (!row) throw new DomainError("NOT_FOUND", `trust policy ${policyId} not found`);
    return row;
  };
  const assertRoleCovered = async (tx: Repositories, principal: Principal, entity: Entity, roleId: string) => {
    const role = await roleOf(tx, entity, roleId);
    assertCovers(principal, grantOf(role, entity.orgId), `a trust policy for role ${role.id}`);
  };

  return {
    async list(principal: Principal, entity: Entity, page: PageRequest) {
      const result = await store.trustPolicies.page(entity.type, entity.id, page);
      return { ...result, items: result.items.map(toTrustPolicy) };
    },

    async get(principal: Principal, entity: Entity, policyId: string) {
      return toTrustPolicy(await policyIn(store, entity, policyId));
    },

    async create(principal: Principal, entity: Entity, input: PolicyInput) {
      const at = now().toISOString();
      return store.transaction(async (tx) => {
        await assertRoleCovered(tx, principal, entity, input.roleId);
        const row: TrustPolicyRow = {
          id: newId("tp"),
          entity_type: entity.type,
          entity_id: entity.id,
          name: input.name,
          issuer: input.issuer,
          audience: input.audience,
          conditions: JSON.stringify(input.conditions),
          role_id: input.roleId,
          max_lifetime_seconds: input.maxLifetimeSeconds,
          creator_id: principal.userId,
          creator_email: principal.email,
          created_at: at,
          updated_at: at,
        };
        await tx.trustPolicies.insert(row);
        const policy = toTrustPolicy(row);
        await record(tx, {
          principal,
          entity,
          event: "trustPolicies.create",
          resource: { type: "trustPolicies", id: row.id },
          change: { after: policy },
        });
        return policy;
      });
    },

    async update(principal: Principal, entity: Entity, policyId: string, patch: Partial<PolicyInput>) {
      return store.transaction(async (tx) => {
        const row = await policyIn(tx, entity, policyId);
        // Neither the role it mints now nor the one it would mint may exceed what the editor holds.
        await assertRoleCovered(tx, principal, entity, row.role_id);
        if (patch.roleId !== undefined) await assertRoleCovered(tx, principal, entity, patch.roleId);
        const changes = {
          ...(patch.name === undefined ? {} : { name: patch.name }),
          ...(patch.issuer === undefined ? {} : { issuer: patch.issuer }),
          ...(patch.audience === undefined ? {} : { audience: patch.audience }),
          ...(patch.conditions === undefined ? {} : { conditions: JSON.stringify(patch.conditions) }),
          ...(patch.roleId === undefined ? {} : { role_id: patch.roleId }),
          ...(patch.maxLifetimeSeconds === undefined ? {} : { max_lifetime_seconds: patch.maxLifetimeSeconds }),
          updated_at: now().toISOString(),
        };
        await tx.trustPolicies.update(policyId, changes);
        const before = toTrustPolicy(row);
        const after = toTrustPolicy({ ...row, ...changes });
        await record(tx, {
          principal,
          entity,
          event: "trustPolicies.update",
          resource: { type: "trustPolicies", id: policyId },
          change: { before, after },
        });
        return after;
      });
    },

    async remove(principal: Principal, entity: Entity, policyId: string) {
      return store.transaction(async (tx) => {
        const row = await policyIn(tx, entity, policyId);
        await assertRoleCovered(tx, principal, entity, row.role_id).catch((error: unknown) => {
          // A policy whose role is gone mints nothing: any manager may tidy it.
          if (!(error instanceof DomainError && error.code === "NOT_FOUND")) throw error;
        });
        await tx.trustPolicies.remove(policyId);
        await record(tx, {
          principal,
          entity,
          event: "trustPolicies.delete",
          resource: { type: "trustPolicies", id: policyId },
          change: { before: toTrustPolicy(row) },
        });
        return { id: policyId, deleted: true as const };
      });
    },
  };
}

export type TrustPolicyService = ReturnType<typeof createTrustPolicyService>;
