import { DomainError } from "@latchkey/core";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { z, ZodType } from "zod";
import {
  accessRule,
  authorizeRequest,
  permissionDoc,
  refuseTokens,
  type Entity,
  type EntityNames,
  type RoutePermission,
} from "../access/access.js";
import type { Principal } from "../access/principal.js";
import type { Page } from "../store/pagination.js";
import type { Repositories } from "../store/store.js";
import { resourcePattern, type ResourcePattern } from "../audit/hooks.js";
import type { Authenticator } from "./authenticate.js";
import { checkReply } from "./reply-check.js";

type Method = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
type AuthMode = "credential" | "none";

/** A route that declares a permission is handed the entity it was checked on; one with `{ none }` is not. */
type EntityOf<X> = [X] extends [{ none: string }] ? null : Entity;

/** What a handler is given: parsed input and, unless the route is public, the principal (and the authorized entity). */
export interface RouteContext<P, Q, B, A extends AuthMode, X = RoutePermission> {
  params: P;
  query: Q;
  body: B;
  principal: A extends "none" ? null : Principal;
  /** The team or organisation the router authorized the declared permission on. */
  entity: A extends "none" ? null : EntityOf<X>;
  request: FastifyRequest;
  reply: FastifyReply;
}

/** One route: its schemas are the single source for validation, the OpenAPI document and the SDK's types. */
export interface RouteSpec<
  P extends ZodType,
  Q extends ZodType,
  B extends ZodType,
  R extends ZodType,
  A extends AuthMode,
  X extends RoutePermission = RoutePermission,
> {
  method: Method;
  /** Several paths may share one handler (`/v1/teams/:teamId/projects` and `/v1/projects`). */
  url: string | string[];
  summary: string;
  tags: string[];
  auth?: A;
  /**
   * The permission the router enforces before the handler runs, on the team or organisation the path names (or the
   * token implies) and on the project it names; `{ none: why }` for a credential route that checks none. Every
   * credential route says one or the other (routes.test.ts).
   */
  permission?: X;
  /** Where the entity's names come from when not (only) the path: a body that names the team, a new project's id. */
  names?: (input: { params: z.output<P>; body: z.output<B> }) => EntityNames;
  /** Refuses API tokens with this 403 message: the route is for a person at a console session. */
  sessionOnly?: string;
  params?: P;
  query?: Q;
  body?: B;
  /** The `data` of a success, or for lists the schema of one item. */
  reply: R;
  /** For lists: the plural key under `data`; the handler returns a Page. */
  list?: string;
  /** The reply carries a secret (a token, a session, an invitation link): `Cache-Control: no-store`. */
  secret?: boolean;
  handler: (ctx: RouteContext<z.output<P>, z.output<Q>, z.output<B>, A, X>) => Promise<z.input<R> | Page<z.input<R>> | typeof SENT>;
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
  /** The permission as the API's description shows it. */
  permission?: string | undefined;
  /** The permission as the route declared it (for the test that every credential route declares one). */
  declared?: RoutePermission | undefined;
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
export function createRouter(app: FastifyInstance, auth: Authenticator, store: Repositories, options: { checkReplies?: boolean } = {}) {
  const checkReplies = options.checkReplies === true;
  const docs: RouteDoc[] = [];
  return {
    docs,
    /**
     * The credential check of every route (address limit, verifier, audit place, rate limit), for routes that answer
     * in their own form (forward auth, OAuth): returns the admitted principal, or throws/rejects with the refusal.
     */
    guard: (request: FastifyRequest, reply: FastifyReply, resource: ResourcePattern): Principal | Promise<Principal> =>
      auth.run(request, reply, resource, (_request, _reply, principal) => principal),
    /** Lists a route registered outside `add` in the OpenAPI document. */
    document: (doc: RouteDoc): void => void docs.push(doc),
    add<
      P extends ZodType,
      Q extends ZodType,
      B extends ZodType,
      R extends ZodType,
      A extends AuthMode = "credential",
      X extends RoutePermission = RoutePermission,
    >(spec: RouteSpec<P, Q, B, R, A, X>): void {
      const mode: AuthMode = spec.auth ?? "credential";
      type Ctx = RouteContext<z.output<P>, z.output<Q>, z.output<B>, A, X>;
      for (const url of Array.isArray(spec.url) ? spec.url : [spec.url]) {
        docs.push({ ...spec, url, auth: mode, permission: permissionDoc(spec.permission), declared: spec.permission });
        // What an audited request acts on, and what it must be allowed, read from the route once here.
        const resource = resourcePattern(url);
        const rule = spec.permission === undefined ? null : accessRule(spec.permission, url);
        /** The request once its credential (if the route takes one) is known and admitted. */
        const run = async (request: FastifyRequest, reply: FastifyReply, principal: Principal | null) => {
          const params = parse(spec.params, request.params, "path");
          const query = parse(spec.query, request.query, "query");
          const body = parse(spec.body, request.body, "body");
          if (spec.sessionOnly !== undefined && principal) refuseTokens(principal, spec.sessionOnly);
          // The one access decision: the entity the request names, reachable (else 404) with the permission (else 403).
          const names = (spec.names ? spec.names({ params, body }) : params) as EntityNames;
          const entity = rule && principal ? await authorizeRequest(store, principal, rule, names) : null;
          const ctx = { params, query, body, principal, entity, request, reply } as Ctx;
          if (spec.secret) void reply.header("cache-control", "no-store");
          const result = await spec.handler(ctx);
          // A handler that streams its own reply (JSON lines) says so: the reply is already on its way.
          if (result === SENT) return reply;
          if (checkReplies) checkReply(`${spec.method} ${url}`, spec.reply, spec.list !== undefined, result);
          if (spec.list === undefined) return { data: result };
          const page = result as Page<unknown>;
          const pagination = { hasNextPage: page.hasNextPage, count: page.items.length, ...(page.cursor ? { cursor: page.cursor } : {}) };
          if (page.itemsJson === undefined) return { data: { [spec.list]: page.items }, pagination };
          // The bytes Fastify's serializer would write for the object above, with the items serialized once by a cache.
          // Returned, not sent: a returned reply is a thenable that Fastify waits on with end-of-stream listeners.
          void reply.type("application/json; charset=utf-8");
          return `{"data":{${JSON.stringify(spec.list)}:${page.itemsJson}},"pagination":${JSON.stringify(pagination)}}`;
        };
        app.route({
          method: spec.method,
          url,
          // The credential first: an unauthenticated caller learns nothing, not even whether its input was valid.
          handler:
            mode === "none" ? (request, reply) => run(request, reply, null) : (request, reply) => auth.run(request, reply, resource, run),
        });
      }
    },
  };
}

export type Router = ReturnType<typeof createRouter>;
