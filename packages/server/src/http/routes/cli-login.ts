import {
  CliLoginApprove,
  CliLoginApproved,
  CliLoginDeny,
  CliLoginDescribe,
  CliLoginDescription,
  CliLoginServerMessage,
  DomainError,
} from "@latchkey/core";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Services } from "../../services/app-services.js";
import { createCliLoginSockets } from "../cli-login-socket.js";
import type { Router } from "../route.js";

const tags = ["CLI login"];

/** The CLI's browser login: the `/v1/cli-login` WebSocket and the console's approve and deny calls. */
export function cliLoginRoutes(app: FastifyInstance, router: Router, { cliLogins, config, clock }: Services): void {
  const handle = createCliLoginSockets({
    cliLogins,
    publicUrl: config.publicUrl,
    log: app.log,
    limits: config.cliLoginLimits,
    ms: clock.ms,
  });
  const ownOrigin = new URL(config.publicUrl).origin;
  app.route({
    method: "GET",
    url: "/v1/cli-login",
    // A browser says where the page that opens a socket comes from, and does not apply CORS to WebSockets: a page on
    // another site must not start (or fill the table with) logins from its visitors' browsers. The CLI sends no
    // Origin. Refused before the upgrade, so such a socket never holds a place.
    onRequest: (request, _reply, done) => {
      const foreign = (["origin", "sec-websocket-origin"] as const).some((h) => {
        const origin = request.headers[h];
        return origin !== undefined && origin !== ownOrigin;
      });
      done(foreign ? new DomainError("FORBIDDEN", `a login socket may only be opened from ${ownOrigin} or without an Origin`) : undefined);
    },
    handler: () => {
      throw new DomainError("VALIDATION_FAILED", "/v1/cli-login speaks WebSocket: connect with Upgrade: websocket");
    },
    wsHandler: (socket, request) => handle(socket, request.ip),
  });
  router.docs.push({
    method: "GET",
    url: "/v1/cli-login",
    summary:
      'WebSocket: send {"type":"init"} (text or binary frame; optionally with "code", the pairing code the CLI shows, e.g. "ABCD-2345"); get init-ack with the login page, then login-success or login-failure. ' +
      "A socket with an Origin other than the public URL's is refused with 403; a busy server sends login-failure with " +
      "retryAfterSeconds and closes with 1013",
    tags,
    auth: "none",
    reply: CliLoginServerMessage,
  });

  router.add({
    method: "POST",
    url: "/v1/cli-login/approve",
    summary: "Approve a waiting CLI login: create its token from a team or organisation role (console session only)",
    tags,
    sessionOnly: "approving a CLI login needs a signed-in person, not an API token",
    permission: ["team.tokens.manage", "org.tokens.manage"],
    body: CliLoginApprove,
    // The body names the team or organisation the token is made in.
    names: ({ body }) => ({ teamId: body.teamId, orgId: body.orgId }),
    reply: CliLoginApproved,
    handler: ({ principal, entity, body }) => cliLogins.approve(principal, entity, body),
  });

  router.add({
    method: "POST",
    url: "/v1/cli-login/describe",
    summary: "What the approval page shows of a waiting CLI login: the pairing code its terminal shows, if any (console session only)",
    tags,
    permission: { none: "whoever holds the login's session token may see its pairing code; approving needs tokens.manage" },
    body: CliLoginDescribe,
    reply: CliLoginDescription,
    handler: ({ principal, body }) => cliLogins.describe(principal, body.sessionToken),
  });

  router.add({
    method: "POST",
    url: "/v1/cli-login/deny",
    summary: "Refuse a waiting CLI login (console session only)",
    tags,
    sessionOnly: "denying a CLI login needs a signed-in person, not an API token",
    permission: { none: "whoever holds the login's session token may refuse it; nothing is made" },
    body: CliLoginDeny,
    reply: z.object({ denied: z.literal(true) }),
    handler: ({ body }) => cliLogins.deny(body.sessionToken),
  });
}
