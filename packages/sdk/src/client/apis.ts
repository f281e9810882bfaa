import type { Api, ApiCreate, ApiUpdate, Entity } from "../types.js";
import { enc, entityPath } from "./entity-path.js";
import type { Deleted, PageOptions, Transport } from "./transport.js";

/** `LatchkeyClient.apis`: APIs of your own of a team or organisation. */
export function createApisApi(t: Transport, entity: Entity) {
  const base = `${entityPath(entity)}/apis`;
  const one = (apiId: string) => `${base}/${enc(apiId)}`;
  return {
    list: (options: PageOptions = {}) => t.page<Api>(base, "apis", options),
    all: () => t.all<Api>(base, "apis"),
    get: (apiId: string) => t.request<Api>("GET", one(apiId)),
    create: (body: ApiCreate) => t.request<Api>("POST", base, { body }),
    update: (apiId: string, body: ApiUpdate) => t.request<Api>("PATCH", one(apiId), { body }),
    delete: (apiId: string) => t.request<Deleted>("DELETE", one(apiId)),
  };
}

/** What `LatchkeyClient.apis()` returns. */
export type ApisApi = ReturnType<typeof createApisApi>;
