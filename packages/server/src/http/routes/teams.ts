import { PageQuery, Team, TeamCreate, TeamUpdate } from "@latchkey/core";
import type { Services } from "../../services/app-services.js";
import type { Router } from "../route.js";
import { Deleted, TeamParams } from "./params.js";

/** Teams. */
export function teamRoutes(router: Router, { teams }: Services): void {
  router.add({
    method: "GET",
    url: "/v1/teams",
    summary: "List the teams you reach (as a member, or through an organisation role)",
    tags: ["teams"],
    permission: { none: "lists only the teams the caller's own grants reach" },
    query: PageQuery,
    reply: Team,
    list: "teams",
    handler: ({ principal, query }) => teams.list(principal, { perPage: query.perPage, cursor: query.cursor }),
  });
  router.add({
    method: "POST",
    url: "/v1/teams",
    summary: "Create a team outside any organisation; you become its owner",
    tags: ["teams"],
    permission: { none: "a team outside any organisation belongs to nobody yet: any signed-in person may start one" },
    sessionOnly: "creating a team outside an organisation needs a signed-in person, not an API token",
    body: TeamCreate,
    reply: Team,
    handler: ({ principal, body }) => teams.create(principal, body),
  });
  router.add({
    method: "GET",
    url: "/v1/teams/:teamId",
    summary: "Get a team",
    tags: ["teams"],
    permission: "team.read",
    params: TeamParams,
    reply: Team,
    handler: ({ entity }) => teams.get(entity),
  });
  router.add({
    method: "PATCH",
    url: "/v1/teams/:teamId",
    summary: "Edit a team",
    tags: ["teams"],
    permission: "team.update",
    params: TeamParams,
    body: TeamUpdate,
    reply: Team,
    handler: ({ principal, entity, body }) => teams.update(principal, entity, body),
  });
  router.add({
    method: "DELETE",
    url: "/v1/teams/:teamId",
    summary: "Delete a team with its roles, members and projects",
    tags: ["teams"],
    // team.delete on the team, or org.teams.delete through its organisation (access.ts authorizeTeamDeletion).
    permission: "team.delete",
    params: TeamParams,
    reply: Deleted,
    handler: ({ principal, entity }) => teams.remove(principal, entity),
  });
}
