import { Org, OrgCreate, OrgUpdate, PageQuery, Team, TeamCreate } from "@latchkey/core";
import type { Services } from "../../services/app-services.js";
import type { Router } from "../route.js";
import { Deleted, OrgParams } from "./params.js";

/** Organisations and the teams inside them. */
export function orgRoutes(router: Router, { orgs, teams }: Services): void {
  router.add({
    method: "GET",
    url: "/v1/orgs",
    summary: "List the organisations you belong to",
    tags: ["organisations"],
    permission: { none: "lists only the organisations the caller belongs to" },
    query: PageQuery,
    reply: Org,
    list: "orgs",
    handler: ({ principal, query }) => orgs.list(principal, { perPage: query.perPage, cursor: query.cursor }),
  });
  router.add({
    method: "POST",
    url: "/v1/orgs",
    summary: "Create an organisation; you become its owner",
    tags: ["organisations"],
    permission: { none: "a new organisation belongs to nobody yet: any signed-in person may start one" },
    sessionOnly: "creating an organisation needs a signed-in person, not an API token",
    body: OrgCreate,
    reply: Org,
    handler: ({ principal, body }) => orgs.create(principal, body),
  });
  router.add({
    method: "GET",
    url: "/v1/orgs/:orgId",
    summary: "Get an organisation",
    tags: ["organisations"],
    permission: "org.read",
    params: OrgParams,
    reply: Org,
    handler: ({ entity }) => orgs.get(entity),
  });
  router.add({
    method: "PATCH",
    url: "/v1/orgs/:orgId",
    summary: "Rename an organisation",
    tags: ["organisations"],
    permission: "org.update",
    params: OrgParams,
    body: OrgUpdate,
    reply: Org,
    handler: ({ principal, entity, body }) => orgs.update(principal, entity, body),
  });
  router.add({
    method: "DELETE",
    url: "/v1/orgs/:orgId",
    summary: "Delete an organisation and every team in it",
    tags: ["organisations"],
    permission: "org.delete",
    params: OrgParams,
    reply: Deleted,
    handler: ({ principal, entity }) => orgs.remove(principal, entity),
  });
  router.add({
    method: "GET",
    url: "/v1/orgs/:orgId/teams",
    summary: "List the teams of an organisation",
    tags: ["organisations"],
    permission: "org.teams.read",
    params: OrgParams,
    query: PageQuery,
    reply: Team,
    list: "teams",
    handler: ({ principal, entity, query }) => teams.list(principal, { perPage: query.perPage, cursor: query.cursor }, entity),
  });
  router.add({
    method: "POST",
    url: "/v1/orgs/:orgId/teams",
    summary: "Create a team inside an organisation; you become its owner",
    tags: ["organisations"],
    permission: "org.teams.create",
    params: OrgParams,
    body: TeamCreate,
    reply: Team,
    handler: ({ principal, entity, body }) => teams.create(principal, body, entity),
  });
}
