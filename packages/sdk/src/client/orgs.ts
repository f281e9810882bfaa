import type { Org, OrgCreate, Team, TeamCreate } from "../types.js";
import { enc } from "./entity-path.js";
import type { Deleted, PageOptions, Transport } from "./transport.js";

/** `LatchkeyClient.orgs`: organisations and their teams. */
export function createOrgsApi(t: Transport) {
  return {
    list: (options: PageOptions = {}) => t.page<Org>("/v1/orgs", "orgs", options),
    all: () => t.all<Org>("/v1/orgs", "orgs"),
    get: (orgId: string) => t.request<Org>("GET", `/v1/orgs/${enc(orgId)}`),
    create: (body: OrgCreate) => t.request<Org>("POST", "/v1/orgs", { body }),
    update: (orgId: string, body: { name?: string }) => t.request<Org>("PATCH", `/v1/orgs/${enc(orgId)}`, { body }),
    delete: (orgId: string) => t.request<Deleted>("DELETE", `/v1/orgs/${enc(orgId)}`),
    teams: (orgId: string) => t.all<Team>(`/v1/orgs/${enc(orgId)}/teams`, "teams"),
    createTeam: (orgId: string, body: TeamCreate) => t.request<Team>("POST", `/v1/orgs/${enc(orgId)}/teams`, { body }),
  };
}

/** What `LatchkeyClient.orgs` holds. */
export type OrgsApi = ReturnType<typeof createOrgsApi>;
