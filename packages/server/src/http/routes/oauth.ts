import { DomainError, PresentedToken } from "@latchkey/core";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Principal } from "../../access/principal.js";
import type { ResourcePattern } from "../../audit/hooks.js";
import type { Services } from "../../services/app-services.js";
import { claimsOf } from "../../services/token-checks.js";
import { sendError, toDomainError } from "../errors.js";
import { FORM_TYPE, installFormBody } from "../form-body.js";
import type { Router } from "../route.js";

const RESOURCE: ResourcePattern = { type: "oauth", param: null };
/** RFC 6749 section 3.1: parameters the server does not know are ignored. */
const TokenForm = z.object({ token: PresentedToken, token_type_hint: z.string().max(64).optional() });

/** OAuth's error form (RFC 6749 section 5.2) for refusals of the request's input. */
const OAUTH_INPUT_ERROR: Record<number, string> = { 400: "invalid_request", 413: "invalid_request", 415: "invalid_request" };

/**
 * Input errors in OAuth's form `{error, error_description}`; a refused credential (401, 403) and the rest as on every
 * route (RFC 7662 section 2.3 sends those to RFC 6750: the status and `WWW-Authenticate`).
 */
function oauthError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { domain, unexpected } = toDomainError(error, request, FORM_TYPE);
  if (unexpected) request.log.error({ err: error }, "oauth route failed");
  const code = OAUTH_INPUT_ERROR[domain.status];
  if (code === undefined) return sendError(reply, request, domain);
  return reply.code(domain.status).header("cache-control", "no-store").send({ error: code, error_description: domain.message });
}

const formOf = (request: FastifyRequest): z.output<typeof TokenForm> => {
  const parsed = TokenForm.safeParse(request.body ?? {});
  if (!parsed.success) {
    const named = [...new Set(parsed.error.issues.map((i) => i.path.join(".") || "body"))].join(", ");
    throw new DomainError("VALIDATION_FAILED", `invalid form: ${named}`);
  }
  return parsed.data;
};

/**
 * RFC 7662 introspection, RFC 7009 revocation and RFC 8414 metadata. They answer in OAuth's forms, not the `{data}`
 * envelope; form bodies are parsed only in their scope. The caller's credential goes through the router's guard.
 */
export function oauthRoutes(app: FastifyInstance, router: Router, { checks, revocation, config }: Services): void {
  // The caller's credential is checked before the body is read: an unauthenticated caller learns nothing of its input.
  const callers = new WeakMap<FastifyRequest, Principal>();
  const caller = (request: FastifyRequest): Principal => {
    const principal = callers.get(request);
    if (!principal) throw new DomainError("UNAUTHENTICATED", "sign in or send Authorization: Bearer <token>");
    return principal;
  };

  void app.register((scope, _options, done) => {
    installFormBody(scope);
    scope.setErrorHandler((error, request, reply) => oauthError(error, request, reply));
    scope.addHook("onRequest", async (request, reply) => {
      callers.set(request, await router.guard(request, reply, RESOURCE));
    });
    scope.post("/v1/oauth/introspect", async (request, reply) => {
      const principal = caller(request);
      const { token } = formOf(request);
      void reply.header("cache-control", "no-store");
      const result = await checks.check(principal, token, [], "introspect");
      const checked = result.principal;
      if (!result.valid || !checked || !result.token) return { active: false };
      const claims = claimsOf(token);
      return {
        active: true,
        scope: (result.permissions ?? []).join(" "),
        client_id: result.token.id,
        token_type: "Bearer",
        ...(claims.exp === undefined ? {} : { exp: claims.exp }),
        iat: claims.iat,
        sub: claims.sub,
        aud: claims.aud,
        iss: claims.iss,
        jti: claims.jti,
        entity_type: result.token.entityType,
        entity_id: result.token.entityId,
        role_id: result.token.role.id,
      };
    });
    scope.post("/v1/oauth/revoke", async (request, reply) => {
      const principal = caller(request);
      const { token } = formOf(request);
      await revocation.revoke(principal, token, request.ip);
      return reply.code(200).header("cache-control", "no-store").send();
    });
    done();
  });

  const base = config.publicUrl;
  const metadata = {
    issuer: base,
    jwks_uri: `${base}/.well-known/jwks.json`,
    introspection_endpoint: `${base}/v1/oauth/introspect`,
    introspection_endpoint_auth_methods_supported: ["bearer"],
    revocation_endpoint: `${base}/v1/oauth/revoke`,
    revocation_endpoint_auth_methods_supported: ["bearer"],
    token_endpoint: `${base}/v1/oauth/token`,
    device_authorization_endpoint: `${base}/v1/oauth/device_authorization`,
    grant_types_supported: ["urn:ietf:params:oauth:grant-type:token-exchange", "urn:ietf:params:oauth:grant-type:device_code"],
    response_types_supported: [],
    token_endpoint_auth_methods_supported: ["none"],
  };
  app.get("/.well-known/oauth-authorization-server", (_request, reply) =>
    reply.header("cache-control", "public, max-age=300").send(metadata),
  );

  for (const [url, summary] of [
    ["/v1/oauth/introspect", "RFC 7662 introspection (form token): {active, scope, client_id, ...} or {active: false}"],
    ["/v1/oauth/revoke", "RFC 7009 revocation (form token): a token ends itself, or a token manager ends it; always 200"],
  ] as const) {
    router.document({
      method: "POST",
      url,
      summary,
      tags: ["oauth"],
      auth: "credential",
      declared: { none: "the form names the token: token-reach.ts (introspection) or the token's own tokens.manage (revocation) decides" },
      reply: z.object({}).passthrough(),
    });
  }
}
