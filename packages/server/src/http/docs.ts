import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";

/**
 * The reference page runs Swagger UI's own files, served by this server (no CDN: the server may be offline): no inline
 * script, nothing from another origin, never framed. Swagger UI sets its styles through the DOM, which CSP allows.
 */
export const DOCS_CSP =
  "default-src 'self'; script-src 'self'; script-src-attr 'none'; style-src 'self'; img-src 'self' data:; font-src 'self' data:; " +
  "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/**
 * `/docs`: the OpenAPI document rendered by Swagger UI (@fastify/swagger-ui), with every operation's parameters,
 * request body, responses and example values; `/docs/json` and `/docs/yaml` are the document itself, as is
 * `/v1/openapi.json`. `document` builds it on first use (it takes a few hundred milliseconds, and most processes,
 * and every test's app, never need it), into the object that @fastify/swagger serves.
 */
export function docsRoutes(app: FastifyInstance, document: () => Record<string, unknown>): void {
  const served: Record<string, unknown> = {};
  const fill = (): void => {
    if (Object.keys(served).length === 0) Object.assign(served, document());
  };
  void app.register(swagger, { mode: "static", specification: { document: served as never } });
  void app.register(swaggerUi, {
    routePrefix: "/docs",
    staticCSP: DOCS_CSP,
    theme: { title: "Latchkey API reference" },
    uiConfig: { layout: "BaseLayout", deepLinking: true, defaultModelsExpandDepth: -1, displayRequestDuration: true },
    uiHooks: {
      onRequest: (_request, reply, done) => {
        fill();
        void reply.headers({ "x-frame-options": "DENY", "x-content-type-options": "nosniff", "referrer-policy": "no-referrer" });
        done();
      },
    },
  });
}
