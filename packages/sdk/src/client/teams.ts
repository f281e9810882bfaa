import type { Team, TeamCreate, TeamUpdate } from "../types.js";
import { enc } from "./entity-path.js";
import type { Deleted, PageOptions, Transport } from "./transport.js";

/** `LatchkeyClient.teams`: the teams you reach. */
export function createTeamsApi(t: Transport) {
  return {
    list: (options: PageOptions = {}) => t.page<Team>("/v1/teams", "teams", options),
    all: () => t.all<Team>("/v1/teams", "teams"),
    get: (teamId: string) => t.request<Team>("GET", `/v1/teams/${enc(teamId)}`),
    create: (body: TeamCreate) => t.request<Team>("POST", "/v1/teams", { body }),
    update: (teamId: string, body: TeamUpdate) => t.request<Team>("PATCH", `/v1/teams/${enc(teamId)}`, { body }),
    delete: (teamId: string) => t.request<Deleted>("DELETE", `/v1/teams/${enc(teamId)}`),
  };
}

/** What `LatchkeyClient.teams` holds. */
export type TeamsApi = ReturnType<typeof createTeamsApi>;
