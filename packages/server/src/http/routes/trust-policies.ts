import { PageQuery, Slug, TrustPolicy, TrustPolicyCreate, TrustPolicyUpdate } from "@latchkey/core";
import { z } from "zod";
import type { Services } from "../../services/app-services.js";
import type { Router } from "../route.js";
import { Deleted, ENTITY_PREFIXES, OpaqueId } from "./params.js";

/** Trust policies of teams and organisations: which foreign ID tokens the token exchange accepts (issue 19). */
export function trustPolicyRoutes(router: Router, { trustPolicies }: Services): void {
  for (const { type, prefix, key, implied } of ENTITY_PREFIXES) {
    const Params = z.strictObject({ [key]: Slug.optional() });
    const PolicyParams = z.strictObject({ [key]: Slug.optional(), policyId: OpaqueId });
    const tags = ["trust policies"];
    const read = `${type}.trustpolicies.read` as const;
    const manage = `${type}.trustpolicies.manage` as const;
    const urls = (rest = "") => [`${prefix}/trust-policies${rest}`, `${implied("trust-policies")}${rest}`];
    const policyId = (params: Record<string, unknown>) => String(params["policyId"]);

    router.add({
      method: "GET",
      url: urls(),
      summary: `List the ${type}'s trust policies`,
      tags,
      permission: read,
      params: Params,
      query: PageQuery,
      reply: TrustPolicy,
      list: "trustPolicies",
      handler: ({ principal, entity, query }) => trustPolicies.list(principal, entity, { perPage: query.perPage, cursor: query.cursor }),
    });
    router.add({
      method: "POST",
      url: urls(),
      summary: `Create a ${type} trust policy (its role may not grant more than you hold)`,
      tags,
      permission: manage,
      params: Params,
      body: TrustPolicyCreate,
      reply: TrustPolicy,
      handler: ({ principal, entity, body }) => trustPolicies.create(principal, entity, body),
    });
    router.add({
      method: "GET",
      url: urls("/:policyId"),
      summary: `Get a ${type} trust policy`,
      tags,
      permission: read,
      params: PolicyParams,
      reply: TrustPolicy,
      handler: ({ principal, entity, params }) => trustPolicies.get(principal, entity, policyId(params)),
    });
    router.add({
      method: "PATCH",
      url: urls("/:policyId"),
      summary: `Edit a ${type} trust policy; tokens it minted keep their role until they expire`,
      tags,
      permission: manage,
      params: PolicyParams,
      body: TrustPolicyUpdate,
      reply: TrustPolicy,
      handler: ({ principal, entity, params, body }) => trustPolicies.update(principal, entity, policyId(params), body),
    });
    router.add({
      method: "DELETE",
      url: urls("/:policyId"),
      summary: `Delete a ${type} trust policy; tokens it minted live on until they expire (revoke them to end them now)`,
      tags,
      permission: manage,
      params: PolicyParams,
      reply: Deleted,
      handler: ({ principal, entity, params }) => trustPolicies.remove(principal, entity, policyId(params)),
    });
  }
}
