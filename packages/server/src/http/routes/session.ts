import {
  DomainError,
  InvitationAccept,
  InvitationConfirm,
  InvitationLookup,
  InvitationPreview,
  PasswordChange,
  SessionCreate,
  SessionReply,
  SetupCreate,
  SetupStatus,
  SetupStatusQuery,
} from "@latchkey/core";
import { z } from "zod";
import { requestContext } from "../../access/request-context.js";
import type { Services } from "../../services/app-services.js";
import type { Authenticator } from "../authenticate.js";
import type { Router } from "../route.js";
import { clearSessionCookie, SESSION_COOKIE, setSessionCookie } from "../session-cookie.js";

/** Console sign-in, first-run setup and accepting invitations. */
export function sessionRoutes(router: Router, services: Services, auth: Authenticator): void {
  const { sessions, accounts, acceptance, config, throttle } = services;

  router.add({
    method: "POST",
    url: "/v1/session",
    summary: "Sign in to the console: sets the session cookie and returns the CSRF token",
    tags: ["session"],
    auth: "none",
    body: SessionCreate,
    reply: SessionReply,
    secret: true,
    handler: async ({ body, request, reply }) => {
      const { sessionId, csrfToken, user } = await sessions.signIn(body.email, body.password, request.ip);
      setSessionCookie(reply, config, sessionId);
      return { user, csrfToken };
    },
  });

  router.add({
    method: "GET",
    url: "/v1/session",
    summary: "The signed-in person, and the session's CSRF token (readable by the console's own pages only)",
    tags: ["session"],
    auth: "none",
    reply: SessionReply,
    secret: true,
    handler: async ({ request, reply }) => {
      const session = await auth.session(request);
      if (!session) throw new DomainError("UNAUTHENTICATED", "not signed in");
      const csrfToken = sessions.csrfTokenOf(session, request.cookies[SESSION_COOKIE] ?? "");
      if (csrfToken === null) {
        await sessions.signOut(session);
        clearSessionCookie(reply, config);
        throw new DomainError("UNAUTHENTICATED", "this session is from an earlier version: sign in again");
      }
      return { user: session.user, csrfToken };
    },
  });

  router.add({
    method: "DELETE",
    url: "/v1/session",
    summary: "Sign out",
    tags: ["session"],
    permission: { none: "ends the caller's own session" },
    sessionOnly: "an API token has no session to end",
    reply: z.object({ signedOut: z.literal(true) }),
    handler: async ({ request, reply }) => {
      const session = await auth.session(request);
      if (session) await sessions.signOut(session);
      clearSessionCookie(reply, config);
      return { signedOut: true as const };
    },
  });

  router.add({
    method: "POST",
    url: "/v1/session/password",
    summary: "Change your password: every session of yours ends, and this one is replaced by a new one",
    tags: ["session"],
    permission: { none: "changes the caller's own password" },
    sessionOnly: "an API token cannot change a password",
    body: PasswordChange,
    reply: SessionReply,
    secret: true,
    handler: async ({ body, request, reply }) => {
      const session = await auth.session(request);
      if (!session) throw new DomainError("UNAUTHENTICATED", "not signed in");
      const { sessionId, csrfToken } = await sessions.changePassword(session, body, request.ip);
      setSessionCookie(reply, config, sessionId);
      return { user: session.user, csrfToken };
    },
  });

  router.add({
    method: "GET",
    url: "/v1/setup",
    summary:
      "Whether the instance still waits for its first account; with `token`, whether that setup link can still make it " +
      "(the console asks as the page loads; limited per address, as password checks are)",
    tags: ["session"],
    auth: "none",
    query: SetupStatusQuery,
    reply: SetupStatus,
    handler: async ({ query, request }) => {
      const needsSetup = await accounts.needsSetup();
      if (query.token === undefined) return { needsSetup };
      // A link's token is a secret: every check counts against the address, like a wrong password; a valid one is forgiven.
      const attempt = throttle.begin([`setup:${request.ip}`]);
      const linkValid = await accounts.setupLinkValid(query.token);
      if (linkValid) throttle.succeeded(attempt);
      return { needsSetup, linkValid };
    },
  });

  router.add({
    method: "POST",
    url: "/v1/setup",
    summary: "Create the first account with the one-time link printed at first start",
    tags: ["session"],
    auth: "none",
    body: SetupCreate,
    reply: SessionReply,
    secret: true,
    handler: async ({ body, reply }) => {
      const user = await accounts.setup(body);
      const { sessionId, csrfToken } = await sessions.start(user.id);
      setSessionCookie(reply, config, sessionId);
      return { user, csrfToken };
    },
  });

  router.add({
    method: "POST",
    url: "/v1/invitations/lookup",
    summary:
      "What an invitation link leads to, for its landing page: the team or organisation, the invited address, who " +
      "invited and with which roles (the link travels in the body, never in a URL)",
    tags: ["members"],
    auth: "none",
    body: InvitationLookup,
    reply: InvitationPreview,
    handler: ({ body }) => acceptance.preview(body),
  });

  router.add({
    method: "POST",
    url: "/v1/invitations/accept",
    summary:
      "Accept an invitation with the link given to the inviter: the password of the address's existing account joins it " +
      "and signs in; anything else is 403 CONFIRMATION_REQUIRED and the address is sent its own link",
    tags: ["members"],
    auth: "none",
    body: InvitationAccept,
    reply: SessionReply,
    secret: true,
    handler: async ({ body, request, reply }) => {
      const user = await acceptance.accept(body, requestContext(request));
      const { sessionId, csrfToken } = await sessions.start(user.id);
      setSessionCookie(reply, config, sessionId);
      return { user, csrfToken };
    },
  });

  router.add({
    method: "POST",
    url: "/v1/invitations/confirm",
    summary:
      "Accept an invitation with the link sent to the invited address (which proves it): a new account's name and " +
      "password, or the existing account's password; joins and signs in",
    tags: ["members"],
    auth: "none",
    body: InvitationConfirm,
    reply: SessionReply,
    secret: true,
    handler: async ({ body, request, reply }) => {
      const user = await acceptance.confirm(body, requestContext(request));
      const { sessionId, csrfToken } = await sessions.start(user.id);
      setSessionCookie(reply, config, sessionId);
      return { user, csrfToken };
    },
  });
}
