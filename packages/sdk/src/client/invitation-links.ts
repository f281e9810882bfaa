import type { InvitationAccept, InvitationConfirm, InvitationPreview, SessionReply } from "../types.js";
import { startSession } from "./session.js";
import type { Transport } from "./transport.js";

/** `LatchkeyClient.acceptInvitation`: joins through the inviter's link, with the account's password, and signs in. */
export function acceptInvitation(t: Transport, body: InvitationAccept): Promise<SessionReply> {
  return startSession(t, "POST", "/v1/invitations/accept", { body });
}

/** `LatchkeyClient.confirmInvitation`: joins through the link sent to the address, and signs in. */
export function confirmInvitation(t: Transport, body: InvitationConfirm): Promise<SessionReply> {
  return startSession(t, "POST", "/v1/invitations/confirm", { body });
}

/** `LatchkeyClient.lookupInvitation`: what an invitation link leads to. */
export function lookupInvitation(t: Transport, body: { token: string } | { confirm: string }): Promise<InvitationPreview> {
  return t.request<InvitationPreview>("POST", "/v1/invitations/lookup", { body });
}
