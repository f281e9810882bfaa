import { CliLoginApprove, CliLoginApproved, CliLoginDeny, CliLoginDescribe, CliLoginDescription, DomainError } from "@latchkey/core";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Services } from "../../services/app-services.js";
import { createCliLoginSockets } from "../cli-login-socket.js";
import type { Router } from "../route.js";

const tags = ["CLI login"];

/** What the socket sends, for the OpenAPI document (the route itself is a WebSocket). */
const SocketMessage = z.union([
  z.object({ type: z.literal("init-ack"), loginPage: z.string() }),
  z.object({ type: z.literal("login-success"), apiToken: z.string(), contextName: z.string() }),
  z.object({
    type: z.literal("login-failure"),
    message: z.string(),
    retryAfterSeconds: z.number().int().optional().describe("sent when the server is busy: when to try again"),
  }),
]);

/** The CLI's browser login: the `/v1/cli-login` WebSocket and the console's approve and deny calls. */
export function cliLoginRoutes(app: FastifyInstance, router: Router, { cliLogins, config }: Services): void {
  const handle = createCliLoginSockets({ cliLogins, publicUrl: config.publicUrl, log: app.log, limits: config.cliLoginLimits });
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
    reply: SocketMessage,
  });

  router.add({
    method: "POST",
    url: "/v1/cli-login/approve",
    summary: "Approve a waiting CLI login: create its token from a team or organisation role (console session only)",
    tags,
    permission: "team.tokens.manage|org.tokens.manage",
    body: CliLoginApprove,
    reply: CliLoginApproved,
    handler: ({ principal, body }) => cliLogins.approve(principal, body),
  });

  router.add({
    method: "POST",
    url: "/v1/cli-login/describe",
    summary: "What the approval page shows of a waiting CLI login: the pairing code its terminal shows, if any (console session only)",
    tags,
    body: CliLoginDescribe,
    reply: CliLoginDescription,
    handler: ({ principal, body }) => cliLogins.describe(principal, body.sessionToken),
  });

  router.add({
    method: "POST",
    url: "/v1/cli-login/deny",
    summary: "Refuse a waiting CLI login (console session only)",
    tags,
    body: CliLoginDeny,
    reply: z.object({ denied: z.literal(true) }),
    handler: ({ principal, body }) => cliLogins.deny(principal, body.sessionToken),
  });
}
