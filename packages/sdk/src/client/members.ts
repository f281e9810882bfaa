import type { Entity, Invitation, InviteReply, Member } from "../types.js";
import { enc, entityPath } from "./entity-path.js";
import type { PageOptions, Transport } from "./transport.js";

/** `LatchkeyClient.members`: members of a team or organisation, and its pending invitations. */
export function createMembersApi(t: Transport, entity: Entity) {
  const base = `${entityPath(entity)}/members`;
  const invitations = `${entityPath(entity)}/invitations`;
  return {
    list: (options: PageOptions = {}) => t.page<Member>(base, "members", options),
    all: () => t.all<Member>(base, "members"),
    invite: (email: string, roles: string[]) => t.request<InviteReply>("POST", base, { body: { email, roles } }),
    setRoles: (userId: string, roles: string[]) => t.request<Member>("PATCH", `${base}/${enc(userId)}`, { body: { roles } }),
    remove: (userId: string) => t.request<{ userId: string; deleted: true }>("DELETE", `${base}/${enc(userId)}`),
    /** Pending invitations, newest first (never their links). */
    invitations: () => t.all<Invitation>(invitations, "invitations"),
    /** Revokes a pending invitation: both of its links stop working. */
    revokeInvitation: (invitationId: string) => t.request<{ id: string; revoked: true }>("DELETE", `${invitations}/${enc(invitationId)}`),
    /**
     * New links for a pending invitation (links are shown once and cannot be copied again): the old ones stop, the
     * address is sent its new link, and the invitation runs its full time again.
     */
    renewInvitation: (invitationId: string) => t.request<InviteReply>("POST", `${invitations}/${enc(invitationId)}/link`),
  };
}

/** What `LatchkeyClient.members()` returns. */
export type MembersApi = ReturnType<typeof createMembersApi>;
