import {
  DeviceApprove,
  DeviceApproved,
  DeviceAuthorizationReply,
  DeviceAuthorizationRequest,
  DeviceDeny,
  DeviceLookup,
  DeviceRequestInfo,
  DomainError,
  GRANT_DEVICE_CODE,
  GRANT_TOKEN_EXCHANGE,
  OAuthTokenReply,
  TOKEN_TYPE_ACCESS_TOKEN,
  TOKEN_TYPE_ID_TOKEN,
  TOKEN_TYPE_JWT,
} from "@latchkey/core";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { requestContext } from "../../access/request-context.js";
import type { Services } from "../../services/app-services.js";
import { OAuthRefusal } from "../../services/oauth-error.js";
import { formFields } from "../form-body.js";
import type { Router } from "../route.js";

const tags = ["OAuth"];

/** The form of `POST /v1/oauth/token`, for the OpenAPI document (the route reads it by hand, in OAuth's terms). */
const TokenForm = z.object({
  grant_type: z.enum([GRANT_TOKEN_EXCHANGE, GRANT_DEVICE_CODE]),
  subject_token: z.string().optional().describe("token exchange: the OIDC ID token"),
  subject_token_type: z.enum([TOKEN_TYPE_ID_TOKEN, TOKEN_TYPE_JWT]).optional(),
  audience: z.string().optional().describe("token exchange: team:<teamId> or org:<orgId>, to consider only that tenant's trust policies"),
  device_code: z.string().optional().describe("device flow: the device_code of /v1/oauth/device_authorization"),
});

/** Writes an OAuth refusal as RFC 6749 section 5.2 says; other errors go to the ordinary error path. */
export function sendOAuthError(reply: FastifyReply, error: unknown): FastifyReply {
  void reply.header("cache-control", "no-store").header("pragma", "no-cache");
  if (error instanceof OAuthRefusal) return reply.code(400).send({ error: error.error, error_description: error.message });
  if (error instanceof DomainError && error.code === "VALIDATION_FAILED") {
    return reply.code(400).send({ error: "invalid_request", error_description: error.message });
  }
  if (error instanceof DomainError && error.code === "RATE_LIMITED") {
    const retry = error.details?.["retryAfterSeconds"];
    if (typeof retry === "number") void reply.header("retry-after", String(retry));
    return reply.code(429).send({ error: "slow_down", error_description: error.message });
  }
  throw error;
}

/** The form's fields, or an invalid_request. */
function fieldsOf(request: FastifyRequest): Record<string, string> {
  const parsed = formFields(request.body);
  if ("problem" in parsed) throw new OAuthRefusal("invalid_request", parsed.problem);
  return parsed.fields;
}

const MAX_DEVICE_CODE = 256;

/**
 * OAuth's endpoints (form-encoded, OAuth's error form): the token endpoint for the token exchange (RFC 8693) and the
 * device flow's polling (RFC 8628), the device authorization request, and the console's JSON calls that approve or
 * deny a device request by its user code.
 */
export function oauthTokenRoutes(app: FastifyInstance, router: Router, services: Services): void {
  const { tokenExchange, deviceAuthorizations, rateLimits } = services;

  app.route({
    method: "POST",
    url: "/v1/oauth/token",
    handler: async (request, reply) => {
      try {
        // An address that keeps presenting bad subject tokens or device codes is cut off before they cost anything.
        rateLimits.checkAddress(request.ip);
        const fields = fieldsOf(request);
        const grant = fields["grant_type"];
        try {
          if (grant === GRANT_TOKEN_EXCHANGE) {
            const subjectToken = fields["subject_token"];
            const type = fields["subject_token_type"];
            if (!subjectToken) throw new OAuthRefusal("invalid_request", "subject_token is required");
            if (type !== TOKEN_TYPE_ID_TOKEN && type !== TOKEN_TYPE_JWT) {
              throw new OAuthRefusal("invalid_request", `subject_token_type must be ${TOKEN_TYPE_ID_TOKEN} or ${TOKEN_TYPE_JWT}`);
            }
            const audience = fields["audience"];
            if (audience !== undefined && !/^(team|org):[a-z0-9-]{1,64}$/.test(audience)) {
              throw new OAuthRefusal("invalid_request", "audience must be team:<teamId> or org:<orgId>");
            }
            const minted = await tokenExchange.exchange({ subjectToken, subjectTokenType: type, audience }, requestContext(request));
            void reply.header("cache-control", "no-store").header("pragma", "no-cache");
            return {
              access_token: minted.token,
              issued_token_type: TOKEN_TYPE_ACCESS_TOKEN,
              token_type: "Bearer",
              expires_in: minted.expiresIn,
            };
          }
          if (grant === GRANT_DEVICE_CODE) {
            const deviceCode = fields["device_code"];
            if (!deviceCode || deviceCode.length > MAX_DEVICE_CODE) throw new OAuthRefusal("invalid_request", "device_code is required");
            const got = await deviceAuthorizations.poll(deviceCode);
            void reply.header("cache-control", "no-store").header("pragma", "no-cache");
            return { access_token: got.token, token_type: "Bearer", ...(got.expiresIn === null ? {} : { expires_in: got.expiresIn }) };
          }
          if (!grant) throw new OAuthRefusal("invalid_request", "grant_type is required");
          throw new OAuthRefusal("unsupported_grant_type", `grant_type ${grant.slice(0, 100)} is not supported`);
        } catch (error) {
          // Guessed device codes and bad subject tokens count against the address, as bad bearer tokens do.
          if (error instanceof OAuthRefusal && (error.error === "invalid_grant" || error.error === "invalid_request")) {
            rateLimits.failed(request.ip);
          }
          throw error;
        }
      } catch (error) {
        return sendOAuthError(reply, error);
      }
    },
  });
  router.docs.push({
    method: "POST",
    url: "/v1/oauth/token",
    summary:
      "OAuth token endpoint (application/x-www-form-urlencoded): token exchange (RFC 8693) of an OIDC ID token a trust " +
      "policy accepts, or a device flow poll (RFC 8628). Refusals are 400 {error, error_description}",
    tags,
    auth: "none",
    body: TokenForm,
    reply: OAuthTokenReply,
  });

  app.route({
    method: "POST",
    url: "/v1/oauth/device_authorization",
    handler: async (request, reply) => {
      try {
        const parsed = DeviceAuthorizationRequest.safeParse(fieldsOf(request));
        if (!parsed.success)
          throw new OAuthRefusal("invalid_request", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
        const body = parsed.data;
        void reply.header("cache-control", "no-store").header("pragma", "no-cache");
        return await deviceAuthorizations.start(
          { requestedRole: body.requested_role, requestedLifetime: body.requested_lifetime, reason: body.reason },
          requestContext(request),
        );
      } catch (error) {
        return sendOAuthError(reply, error);
      }
    },
  });
  router.docs.push({
    method: "POST",
    url: "/v1/oauth/device_authorization",
    summary:
      "Device authorization request (RFC 8628, form-encoded); requested_role, requested_lifetime (<= 3600 s) and reason " +
      "are Latchkey's, for time-boxed elevation",
    tags,
    auth: "none",
    body: DeviceAuthorizationRequest,
    reply: DeviceAuthorizationReply,
  });

  router.add({
    method: "POST",
    url: "/v1/oauth/device/lookup",
    summary: "What a pending device request asks for, by its user code (console session only; wrong codes are rate limited)",
    tags,
    permission: { none: "the user code names the request; approving it is what needs a role (see approve)" },
    body: DeviceLookup,
    reply: DeviceRequestInfo,
    handler: ({ principal, body }) => deviceAuthorizations.lookup(principal, body.userCode),
  });
  router.add({
    method: "POST",
    url: "/v1/oauth/device/approve",
    summary: "Approve a device request: create its token from a team or organisation role (console session only)",
    tags,
    permission: { none: "the body names the team or organisation: the service authorizes its tokens.manage there" },
    body: DeviceApprove,
    reply: DeviceApproved,
    handler: ({ principal, body }) => deviceAuthorizations.approve(principal, body),
  });
  router.add({
    method: "POST",
    url: "/v1/oauth/device/deny",
    summary: "Refuse a device request (console session only)",
    tags,
    permission: { none: "the user code names the request; any signed-in person may refuse a request shown to them" },
    body: DeviceDeny,
    reply: z.object({ denied: z.literal(true) }),
    handler: ({ principal, body }) => deviceAuthorizations.deny(principal, body.userCode),
  });
}
