import type { FastifyInstance } from "fastify";
import type { Metrics } from "../lib/metrics.js";

/**
 * Counts every reply into the metrics: its duration by route pattern, and for a request that presented an API token
 * (a bearer credential) the decision's outcome on the "api" door; 429s by the limit that refused them (a token's
 * refusal carries its `x-ratelimit-*` headers, an address's does not).
 */
export function installMetricsHooks(app: FastifyInstance, metrics: Metrics): void {
  app.addHook("onResponse", (request, reply, done) => {
    const status = reply.statusCode;
    metrics.request(request.method, request.routeOptions.url ?? "unmatched", status, reply.elapsedTime / 1000);
    if (request.headers.authorization !== undefined) metrics.decision("api", status);
    if (status === 429) metrics.rateLimited(reply.hasHeader("x-ratelimit-limit") ? "token" : "address");
    done();
  });
}
