import { Api, ApiCreate, ApiUpdate, PageQuery, Slug } from "@latchkey/core";
import { z } from "zod";
import type { Services } from "../../services/app-services.js";
import type { Router } from "../route.js";
import { Deleted, ENTITY_PREFIXES } from "./params.js";

/** APIs of your own: the services a team or organisation guards with Latchkey, and their permissions. */
export function apiRoutes(router: Router, { apis }: Services): void {
  for (const { type, prefix, key, implied } of ENTITY_PREFIXES) {
    const Params = z.strictObject({ [key]: Slug.optional() });
    const ApiParams = z.strictObject({ [key]: Slug.optional(), apiId: Slug });
    const tags = [type === "team" ? "team APIs" : "organisation APIs"];
    const read = `${type}.apis.read` as const;
    const manage = `${type}.apis.manage` as const;
    const urls = [`${prefix}/apis`, implied("apis")];
    const one = urls.map((u) => `${u}/:apiId`);

    router.add({
      method: "GET",
      url: urls,
      summary: `List the ${type}'s APIs and their permissions`,
      tags,
      permission: read,
      params: Params,
      query: PageQuery,
      reply: Api,
      list: "apis",
      handler: ({ principal, entity, query }) => apis.list(principal, entity, { perPage: query.perPage, cursor: query.cursor }),
    });
    router.add({
      method: "POST",
      url: urls,
      summary: `Register a ${type} API; the ${type}'s owner role receives its permissions`,
      tags,
      permission: manage,
      params: Params,
      body: ApiCreate,
      reply: Api,
      handler: ({ principal, entity, body }) => apis.create(principal, entity, body),
    });
    router.add({
      method: "GET",
      url: one,
      summary: `Get a ${type} API`,
      tags,
      permission: read,
      params: ApiParams,
      reply: Api,
      handler: ({ principal, entity, params }) => apis.get(principal, entity, String(params["apiId"])),
    });
    router.add({
      method: "PATCH",
      url: one,
      summary: `Edit a ${type} API; a permission left out of \`permissions\` is taken out of every role`,
      tags,
      permission: manage,
      params: ApiParams,
      body: ApiUpdate,
      reply: Api,
      handler: ({ principal, entity, params, body }) => apis.update(principal, entity, String(params["apiId"]), body),
    });
    router.add({
      method: "DELETE",
      url: one,
      summary: `Delete a ${type} API; its permissions are taken out of every role in the same transaction`,
      tags,
      permission: manage,
      params: ApiParams,
      reply: Deleted,
      handler: ({ principal, entity, params }) => apis.remove(principal, entity, String(params["apiId"])),
    });
  }
}
