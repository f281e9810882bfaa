import {
  Member,
  OrgRole,
  OrgRoleCreate,
  OrgRoleUpdate,
  PageQuery,
  RoleMemberAdd,
  Slug,
  TeamRole,
  TeamRoleCreate,
  TeamRoleUpdate,
} from "@latchkey/core";
import { z } from "zod";
import type { Services } from "../../services/app-services.js";
import type { Router } from "../route.js";
import { Deleted, ENTITY_PREFIXES, UserId } from "./params.js";

/** Team and organisation roles, and who holds them. */
export function roleRoutes(router: Router, { roles, members }: Services): void {
  for (const { type, prefix, key, implied } of ENTITY_PREFIXES) {
    const Params = z.strictObject({ [key]: Slug.optional() });
    const RoleParams = z.strictObject({ [key]: Slug.optional(), roleId: Slug });
    const RoleMemberParams = z.strictObject({ [key]: Slug.optional(), roleId: Slug, userId: UserId });
    const Role = type === "team" ? TeamRole : OrgRole;
    const tags = [type === "team" ? "team roles" : "organisation roles"];
    const read = `${type}.roles.read` as const;
    const manage = `${type}.roles.manage` as const;

    router.add({
      method: "GET",
      url: [`${prefix}/roles`, `${implied("roles")}`],
      summary: `List the ${type}'s roles`,
      tags,
      permission: read,
      params: Params,
      query: PageQuery,
      reply: Role,
      list: "roles",
      handler: ({ principal, entity, query }) => roles.list(principal, entity, { perPage: query.perPage, cursor: query.cursor }),
    });
    router.add({
      method: "POST",
      url: [`${prefix}/roles`, `${implied("roles")}`],
      summary: `Create a ${type} role (it may not grant more than you hold)`,
      tags,
      permission: manage,
      params: Params,
      body: type === "team" ? TeamRoleCreate : OrgRoleCreate,
      reply: Role,
      handler: ({ principal, entity, body }) => roles.create(principal, entity, body),
    });
    router.add({
      method: "GET",
      url: [`${prefix}/roles/:roleId`, `${implied("roles")}/:roleId`],
      summary: `Get a ${type} role`,
      tags,
      permission: read,
      params: RoleParams,
      reply: Role,
      handler: ({ principal, entity, params }) => roles.get(principal, entity, String(params["roleId"])),
    });
    router.add({
      method: "PATCH",
      url: [`${prefix}/roles/:roleId`, `${implied("roles")}/:roleId`],
      summary: `Edit a ${type} role; every member and token of the role changes on its next request`,
      tags,
      permission: manage,
      params: RoleParams,
      body: type === "team" ? TeamRoleUpdate : OrgRoleUpdate,
      reply: Role,
      handler: ({ principal, entity, params, body }) => roles.update(principal, entity, String(params["roleId"]), body),
    });
    router.add({
      method: "DELETE",
      url: [`${prefix}/roles/:roleId`, `${implied("roles")}/:roleId`],
      summary: `Delete a ${type} role; its tokens are revoked in the same transaction`,
      tags,
      permission: manage,
      params: RoleParams,
      reply: Deleted,
      handler: ({ principal, entity, params }) => roles.remove(principal, entity, String(params["roleId"])),
    });
    router.add({
      method: "GET",
      url: [`${prefix}/roles/:roleId/members`, `${implied("roles")}/:roleId/members`],
      summary: `List who holds a ${type} role`,
      tags,
      permission: `${type}.members.read` as const,
      params: RoleParams,
      query: PageQuery,
      reply: Member,
      list: "members",
      handler: ({ principal, entity, params, query }) =>
        members.list(principal, entity, { perPage: query.perPage, cursor: query.cursor }, String(params["roleId"])),
    });
    router.add({
      method: "POST",
      url: [`${prefix}/roles/:roleId/members`, `${implied("roles")}/:roleId/members`],
      summary: `Give a member a ${type} role`,
      tags,
      permission: `${type}.members.manage` as const,
      params: RoleParams,
      body: RoleMemberAdd,
      reply: Member,
      handler: ({ principal, entity, params, body }) => members.addRole(principal, entity, String(params["roleId"]), body.userId),
    });
    router.add({
      method: "DELETE",
      url: [`${prefix}/roles/:roleId/members/:userId`, `${implied("roles")}/:roleId/members/:userId`],
      summary: `Take a ${type} role from a member`,
      tags,
      permission: `${type}.members.manage` as const,
      params: RoleMemberParams,
      reply: Member,
      handler: ({ principal, entity, params }) => members.removeRole(principal, entity, String(params["roleId"]), String(params["userId"])),
    });
  }
}
