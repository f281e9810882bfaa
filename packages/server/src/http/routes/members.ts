import { Invitation, InviteReply, Member, MemberInvite, MemberUpdate, PageQuery, Slug } from "@latchkey/core";
import { z } from "zod";
import type { Services } from "../../services/app-services.js";
import type { Router } from "../route.js";
import { ENTITY_PREFIXES, UserId } from "./params.js";

/** Members of teams and organisations. */
export function memberRoutes(router: Router, { members, invitations }: Services): void {
  for (const { type, prefix, key, implied } of ENTITY_PREFIXES) {
    const Params = z.strictObject({ [key]: Slug.optional() });
    const MemberParams = z.strictObject({ [key]: Slug.optional(), userId: UserId });
    const InvitationParams = z.strictObject({ [key]: Slug.optional(), invitationId: z.string().regex(/^inv_[A-Za-z0-9_-]{1,64}$/) });
    const tags = [type === "team" ? "team members" : "organisation members"];

    router.add({
      method: "GET",
      url: [`${prefix}/members`, `${implied("members")}`],
      summary: `List the ${type}'s members with their roles`,
      tags,
      permission: `${type}.members.read` as const,
      params: Params,
      query: PageQuery,
      reply: Member,
      list: "members",
      handler: ({ principal, entity, query }) => members.list(principal, entity, { perPage: query.perPage, cursor: query.cursor }),
    });
    router.add({
      method: "POST",
      url: [`${prefix}/members`, `${implied("members")}`],
      summary:
        "Invite by e-mail: sends the address its own link (the only way to create an account for it) and returns a " +
        "single-use link to pass on, which an existing account accepts with its password",
      tags,
      permission: `${type}.members.manage` as const,
      params: Params,
      body: MemberInvite,
      reply: InviteReply,
      secret: true,
      handler: ({ principal, entity, body }) => invitations.invite(principal, entity, body),
    });
    router.add({
      method: "GET",
      url: [`${prefix}/invitations`, `${implied("invitations")}`],
      summary: `List the ${type}'s pending invitations (never their links)`,
      tags,
      permission: `${type}.members.read` as const,
      params: Params,
      query: PageQuery,
      reply: Invitation,
      list: "invitations",
      handler: ({ principal, entity, query }) => invitations.list(principal, entity, { perPage: query.perPage, cursor: query.cursor }),
    });
    router.add({
      method: "DELETE",
      url: [`${prefix}/invitations/:invitationId`, `${implied("invitations")}/:invitationId`],
      summary: "Revoke a pending invitation: both of its links stop working",
      tags,
      permission: `${type}.members.manage` as const,
      params: InvitationParams,
      reply: z.object({ id: z.string(), revoked: z.literal(true) }),
      handler: ({ principal, entity, params }) => invitations.revoke(principal, entity, String(params["invitationId"])),
    });
    router.add({
      method: "POST",
      url: [`${prefix}/invitations/:invitationId/link`, `${implied("invitations")}/:invitationId/link`],
      summary:
        "New links for a pending invitation (links are kept only as hashes and never shown again): the old ones stop " +
        "working, the address is sent its new link, and the invitation runs its full time again",
      tags,
      permission: `${type}.members.manage` as const,
      params: InvitationParams,
      reply: InviteReply,
      secret: true,
      handler: ({ principal, entity, params }) => invitations.renew(principal, entity, String(params["invitationId"])),
    });
    router.add({
      method: "PATCH",
      url: [`${prefix}/members/:userId`, `${implied("members")}/:userId`],
      summary: "Replace a member's roles",
      tags,
      permission: `${type}.members.manage` as const,
      params: MemberParams,
      body: MemberUpdate,
      reply: Member,
      handler: ({ principal, entity, params, body }) => members.setRoles(principal, entity, String(params["userId"]), body.roles),
    });
    router.add({
      method: "DELETE",
      url: [`${prefix}/members/:userId`, `${implied("members")}/:userId`],
      summary: "Remove a member (never the last owner)",
      tags,
      permission: `${type}.members.manage` as const,
      params: MemberParams,
      reply: z.object({ userId: z.string(), deleted: z.literal(true) }),
      handler: ({ principal, entity, params }) => members.remove(principal, entity, String(params["userId"])),
    });
  }
}
