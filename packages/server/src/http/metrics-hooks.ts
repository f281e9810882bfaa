import type { FastifyInstance } from "fastify";
import type { Metrics } from "../lib/metrics.js";

const FORWARD = "/v1/auth/forward";

/**
 * Counts every reply into the metrics: its duration by route pattern, and for a request that presented an API token
 * (a bearer credential) the decision's outcome on its door ("forward" for a gateway's subrequest, "api" otherwise;
 * check and introspection count the checked token's answer themselves, `services/token-checks.ts`); 429s by the
 * limit that refused them (a token's refusal carries its `x-ratelimit-*` headers, an address's does not).
 */
export function installMetricsHooks(app: FastifyInstance, metrics: Metrics): void {
  app.addHook("onResponse", (request, reply, done) => {
    const status = reply.statusCode;
    const route = request.routeOptions.url;
    metrics.request(request.method, route ?? "unmatched", status, reply.elapsedTime / 1000);
    if (request.headers.authorization !== undefined) metrics.decision(route?.startsWith(FORWARD) ? "forward" : "api", status);
    if (status === 429) metrics.rateLimited(reply.hasHeader("x-ratelimit-limit") ? "token" : "address");
    done();
  });
}
