import { InviteReply, Member, MemberInvite, MemberUpdate, PageQuery, Slug } from "@latchkey/core";
import { z } from "zod";
import type { Services } from "../../app-services.js";
import type { Router } from "../route.js";
import { ENTITY_PREFIXES, entityId, UserId } from "./params.js";

/** Members of teams and organisations. */
export function memberRoutes(router: Router, { members }: Services): void {
  for (const { type, prefix, key, implied } of ENTITY_PREFIXES) {
    const Params = z.strictObject({ [key]: Slug.optional() });
    const MemberParams = z.strictObject({ [key]: Slug.optional(), userId: UserId });
    const tags = [type === "team" ? "team members" : "organisation members"];

    router.add({
      method: "GET",
      url: [`${prefix}/members`, `${implied("members")}`],
      summary: `List the ${type}'s members with their roles`,
      tags,
      permission: `${type}.members.read`,
      params: Params,
      query: PageQuery,
      reply: Member,
      list: "members",
      handler: ({ principal, params, query }) =>
        members.list(principal, type, entityId(params, key, principal), { perPage: query.per_page, cursor: query.cursor }),
    });
    router.add({
      method: "POST",
      url: [`${prefix}/members`, `${implied("members")}`],
      summary: "Invite by e-mail: returns a single-use link to pass on; the person joins by accepting it",
      tags,
      permission: `${type}.members.manage`,
      params: Params,
      body: MemberInvite,
      reply: InviteReply,
      secret: true,
      handler: ({ principal, params, body }) => members.invite(principal, type, entityId(params, key, principal), body),
    });
    router.add({
      method: "PATCH",
      url: [`${prefix}/members/:userId`, `${implied("members")}/:userId`],
      summary: "Replace a member's roles",
      tags,
      permission: `${type}.members.manage`,
      params: MemberParams,
      body: MemberUpdate,
      reply: Member,
      handler: ({ principal, params, body }) =>
        members.setRoles(principal, type, entityId(params, key, principal), String(params["userId"]), body.roles),
    });
    router.add({
      method: "DELETE",
      url: [`${prefix}/members/:userId`, `${implied("members")}/:userId`],
      summary: "Remove a member (never the last owner)",
      tags,
      permission: `${type}.members.manage`,
      params: MemberParams,
      reply: z.object({ userId: z.string(), deleted: z.literal(true) }),
      handler: ({ principal, params }) => members.remove(principal, type, entityId(params, key, principal), String(params["userId"])),
    });
  }
}
