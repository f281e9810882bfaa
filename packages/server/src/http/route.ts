import { DomainError } from "@latchkey/core";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { z, ZodType } from "zod";
import type { Principal } from "../access/principal.js";
import type { Page } from "../store/pagination.js";
import type { AuditService } from "../audit/service.js";
import type { RateLimits } from "../services/rate-limits.js";
import { assertIpAllowed } from "../access/ip-allow-list.js";
import { admitTokenRequest, noteRefusal, resourcePattern, type ResourcePattern } from "../audit/hooks.js";
import type { Authenticator } from "./authenticate.js";

type Method = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
type AuthMode = "credential" | "none";

/** What a handler is given: parsed input and, unless the route is public, the principal. */
export interface RouteContext<P, Q, B, A extends AuthMode> {
  params: P;
  query: Q;
  body: B;
  principal: A extends "none" ? null : Principal;
  request: FastifyRequest;
  reply: FastifyReply;
}

/** One route: its schemas are the single source for validation, the OpenAPI document and the SDK's types. */
export interface RouteSpec<P extends ZodType, Q extends ZodType, B extends ZodType, R extends ZodType, A extends AuthMode> {
  method: Method;
  /** Several paths may share one handler (`/v1/teams/:teamId/projects` and `/v1/projects`). */
  url: string | string[];
  summary: string;
  tags: string[];
  auth?: A;
  /** The permission checked, for the docs (the service enforces it). */
  permission?: string;
  params?: P;
  query?: Q;
  body?: B;
  /** The `data` of a success, or for lists the schema of one item. */
  reply: R;
  /** For lists: the plural key under `data`; the handler returns a Page. */
  list?: string;
  /** The reply carries a secret (a token, a session, an invitation link): `Cache-Control: no-store`. */
  secret?: boolean;
  handler: (ctx: RouteContext<z.output<P>, z.output<Q>, z.output<B>, A>) => Promise<z.input<R> | Page<z.input<R>> | typeof SENT>;
}

/**
 * What a handler returns when it has sent the reply itself (a stream of JSON lines). Not the reply object: a
 * FastifyReply is a thenable, so an async handler returning it resolves only once the reply has gone, to undefined.
 */
export const SENT: unique symbol = Symbol("reply sent by the handler");

/** What the OpenAPI generator needs to know of a registered route. */
export interface RouteDoc {
  method: Method;
  url: string;
  summary: string;
  tags: string[];
  auth: AuthMode;
  permission?: string | undefined;
  params?: ZodType | undefined;
  query?: ZodType | undefined;
  body?: ZodType | undefined;
  reply: ZodType;
  list?: string | undefined;
}

function parse<T extends ZodType>(schema: T | undefined, value: unknown, where: string): z.output<T> {
  if (!schema) return undefined as z.output<T>;
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const fields: Record<string, string> = {};
  for (const issue of result.error.issues) {
    const key = issue.path.length > 0 ? issue.path.join(".") : where;
    fields[key] ??= issue.code === "unrecognized_keys" ? `unknown field(s): ${issue.keys.join(", ")}` : issue.message;
  }
  const named = Object.keys(fields).join(", ");
  throw new DomainError("VALIDATION_FAILED", `invalid ${where}: ${named}`, { fields });
}

/** Registers routes on one Fastify instance and remembers them for the OpenAPI document. */
export function createRouter(app: FastifyInstance, auth: Authenticator, audit: AuditService | null, limits: RateLimits) {
  const docs: RouteDoc[] = [];
  /** A refused credential: recorded on its token if we issued it, and counted against its address. */
  const refused = (request: FastifyRequest, error: unknown, resource: ResourcePattern): unknown => {
    noteRefusal(request, error, resource);
    const bearer = request.headers.authorization !== undefined;
    if (bearer && error instanceof DomainError && error.status === 401) limits.failed(request.ip);
    return error;
  };
  /** An accepted credential takes its place in the audit log and its share of the rate limit. */
  const admit = (request: FastifyRequest, reply: FastifyReply, resource: ResourcePattern, principal: Principal): Principal => {
    if (audit) admitTokenRequest(request, principal, audit, resource);
    // After the audit admission: a request from an address the token may not use is recorded on its feed (403).
    assertIpAllowed(principal, request.ip);
    const rate = limits.take(principal);
    if (rate) {
      void reply.header("x-ratelimit-limit", rate.limit);
      void reply.header("x-ratelimit-remaining", rate.remaining);
      void reply.header("x-ratelimit-reset", Math.ceil(rate.resetMs / 1000));
      if (!rate.allowed) throw limits.refusal(rate);
    }
    return principal;
  };
  /** The credential, from memory when this process knows it (no wait), else looked up. */
  const authenticate = (request: FastifyRequest, reply: FastifyReply, resource: ResourcePattern): Principal | Promise<Principal> => {
    // An address that keeps presenting bad tokens is refused before its tokens cost a signature check.
    if (request.headers.authorization !== undefined) limits.checkAddress(request.ip);
    let pending: Principal | Promise<Principal>;
    try {
      pending = auth.principal(request);
    } catch (error) {
      throw refused(request, error, resource);
    }
    if (!(pending instanceof Promise)) return admit(request, reply, resource, pending);
    return pending.then(
      (principal) => admit(request, reply, resource, principal),
      (error: unknown) => {
        throw refused(request, error, resource);
      },
    );
  };
  return {
    docs,
    add<P extends ZodType, Q extends ZodType, B extends ZodType, R extends ZodType, A extends AuthMode = "credential">(
      spec: RouteSpec<P, Q, B, R, A>,
    ): void {
      const mode: AuthMode = spec.auth ?? "credential";
      for (const url of Array.isArray(spec.url) ? spec.url : [spec.url]) {
        docs.push({ ...spec, url, auth: mode });
        // What an audited request acts on, read from the route once here rather than on every request.
        const resource = resourcePattern(url);
        app.route({
          method: spec.method,
          url,
          handler: async (request, reply) => {
            // The credential first: an unauthenticated caller learns nothing, not even whether its input was valid.
            const pending = mode === "none" ? null : authenticate(request, reply, resource);
            const principal = pending instanceof Promise ? await pending : pending;
            const ctx = {
              params: parse(spec.params, request.params, "path"),
              query: parse(spec.query, request.query, "query"),
              body: parse(spec.body, request.body, "body"),
              principal,
              request,
              reply,
            } as RouteContext<z.output<P>, z.output<Q>, z.output<B>, A>;
            if (spec.secret) void reply.header("cache-control", "no-store");
            const result = await spec.handler(ctx);
            // A handler that streams its own reply (JSON lines) says so: the reply is already on its way.
            if (result === SENT) return reply;
            if (spec.list === undefined) return { data: result };
            const page = result as Page<unknown>;
            const pagination = { hasNextPage: page.hasNextPage, count: page.items.length, ...(page.cursor ? { cursor: page.cursor } : {}) };
            if (page.itemsJson === undefined) return { data: { [spec.list]: page.items }, pagination };
            // The bytes Fastify's serializer would write for the object above, with the items serialized once by a cache.
            return reply
              .type("application/json; charset=utf-8")
              .send(`{"data":{${JSON.stringify(spec.list)}:${page.itemsJson}},"pagination":${JSON.stringify(pagination)}}`);
          },
        });
      }
    },
  };
}

export type Router = ReturnType<typeof createRouter>;
