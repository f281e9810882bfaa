import type { Entity, TrustPolicy, TrustPolicyCreate, TrustPolicyUpdate } from "../types.js";
import { enc, entityPath } from "./entity-path.js";
import type { Deleted, PageOptions, Transport } from "./transport.js";

/** `LatchkeyClient.trustPolicies`: trust policies of a team or organisation. */
export function createTrustPoliciesApi(t: Transport, entity: Entity) {
  const base = `${entityPath(entity)}/trust-policies`;
  const one = (policyId: string) => `${base}/${enc(policyId)}`;
  return {
    list: (options: PageOptions = {}) => t.page<TrustPolicy>(base, "trustPolicies", options),
    all: () => t.all<TrustPolicy>(base, "trustPolicies"),
    get: (policyId: string) => t.request<TrustPolicy>("GET", one(policyId)),
    create: (body: TrustPolicyCreate) => t.request<TrustPolicy>("POST", base, { body }),
    update: (policyId: string, body: TrustPolicyUpdate) => t.request<TrustPolicy>("PATCH", one(policyId), { body }),
    delete: (policyId: string) => t.request<Deleted>("DELETE", one(policyId)),
  };
}

/** What `LatchkeyClient.trustPolicies()` returns. */
export type TrustPoliciesApi = ReturnType<typeof createTrustPoliciesApi>;
