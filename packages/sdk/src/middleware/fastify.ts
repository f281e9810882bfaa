import type { Verifier, VerifyResult } from "../verifier/verifier.js";
import { decide } from "./decide.js";

/** The parts of Fastify used (types only: no runtime dependency on Fastify). */
export interface FastifyLikeRequest {
  headers: Record<string, string | string[] | undefined>;
  /** The client's address: behind a proxy, create Fastify with `trustProxy` so that it is the client's. */
  ip?: string;
  latchkey?: VerifyResult;
  routeOptions?: { config?: unknown };
}
export interface FastifyLikeReply {
  code(status: number): FastifyLikeReply;
  send(body: unknown): unknown;
}
export interface FastifyLike {
  addHook(name: "onRequest", hook: (request: FastifyLikeRequest, reply: FastifyLikeReply) => Promise<unknown>): unknown;
  decorateRequest?(name: string, value: unknown): unknown;
}

/** Per-route options: `{config: {latchkey: {permissions: ["billing:invoices.read"]}}}`; `false` leaves a route open. */
export interface LatchkeyRouteConfig {
  latchkey?: { permissions?: readonly string[] } | false;
}

/**
 * A Fastify plugin: every route needs a valid token, plus the permissions of its `config.latchkey`. The decision is
 * `request.latchkey`; refusals are 401/403/503 in Latchkey's error shape. Register with
 * `app.register(latchkeyPlugin, {verifier})` (it is marked to apply to the routes of the registering scope). Tokens
 * with an IP allow-list are held to `request.ip` (behind a proxy, `Fastify({trustProxy: ...})`).
 */
export function latchkeyPlugin(app: FastifyLike, options: { verifier: Verifier }, done: (error?: Error) => void): void {
  app.decorateRequest?.("latchkey", undefined);
  app.addHook("onRequest", async (request, reply) => {
    const config = (request.routeOptions?.config ?? {}) as LatchkeyRouteConfig;
    if (config.latchkey === false) return;
    const outcome = await decide(options.verifier, request.headers["authorization"], config.latchkey?.permissions ?? [], request.ip ?? "");
    if (outcome.ok) request.latchkey = outcome.decision;
    else return reply.code(outcome.refusal.status).send(outcome.refusal.body);
    return undefined;
  });
  done();
}
// fastify-plugin's marker, without the dependency: the hook applies outside the plugin's own scope too.
(latchkeyPlugin as unknown as Record<symbol, boolean>)[Symbol.for("skip-override")] = true;
