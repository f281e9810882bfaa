import { PermissionInfo, PERMISSIONS } from "@latchkey/core";
import type { FastifyInstance } from "fastify";
import type { Services } from "../../services/app-services.js";
import { errorBody } from "../errors.js";
import { docsRoutes } from "../docs.js";
import { buildOpenApi } from "../openapi.js";
import type { Router } from "../route.js";

/** The permission catalogue, health, readiness and the API's own description. */
export function metaRoutes(app: FastifyInstance, router: Router, services: Services): void {
  router.add({
    method: "GET",
    url: "/v1/permissions",
    summary: "The permission catalogue",
    tags: ["roles"],
    auth: "none",
    reply: PermissionInfo.array(),
    handler: () => Promise.resolve(PERMISSIONS.map(({ id, scope, group, label, sensitive }) => ({ id, scope, group, label, sensitive }))),
  });

  app.get("/healthz", () => ({ data: { status: "ok" } }));
  app.get("/readyz", async (request, reply) => {
    if (await services.store.db.ping()) return { data: { status: "ready", database: services.store.db.kind } };
    return reply.code(503).send(errorBody("NOT_READY", "the database does not answer", request.id));
  });

  let document: Record<string, unknown> | undefined;
  const openapi = () => (document ??= buildOpenApi(router.docs, services.config.publicUrl));
  app.get("/v1/openapi.json", () => openapi());
  docsRoutes(app, openapi);
}
