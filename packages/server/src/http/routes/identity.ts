import { AuthInfo, type PermissionSet } from "@latchkey/core";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Services } from "../../services/app-services.js";
import type { Router } from "../route.js";

const union = (sets: PermissionSet[]): PermissionSet => ({
  orgScope: [...new Set(sets.flatMap((s) => s.orgScope))],
  teamScope: [...new Set(sets.flatMap((s) => s.teamScope))],
  projectScope: [...new Set(sets.flatMap((s) => s.projectScope))],
  apiScope: [...new Set(sets.flatMap((s) => s.apiScope ?? []))],
});

/** Who the credential is (`/v1/login`, `/v1/auth`) and the public keys that verify tokens. */
export function identityRoutes(app: FastifyInstance, router: Router, { tokens, keys }: Services): void {
  router.add({
    method: "GET",
    url: "/v1/login",
    summary: "200 when the credential is valid (clients use it to check a token)",
    tags: ["identity"],
    permission: { none: "says only that the credential itself is valid" },
    reply: z.object({ valid: z.literal(true), tokenKind: z.enum(["api", "session"]) }),
    handler: ({ principal }) => Promise.resolve({ valid: true as const, tokenKind: principal.kind }),
  });

  router.add({
    method: "GET",
    url: "/v1/auth",
    summary: "What this credential may do right now (a token's role is read live)",
    tags: ["identity"],
    permission: { none: "describes the credential's own grants" },
    reply: AuthInfo,
    handler: async ({ principal }) => {
      if (principal.kind === "session") {
        return {
          tokenKind: "session" as const,
          id: principal.userId,
          name: principal.email,
          entityType: null,
          entityId: null,
          role: null,
          permissions: union(principal.grants.map((g) => g.permissions)),
          restrictions: null,
          creatorEmail: principal.email,
          createdAt: null,
          expiresAt: null,
        };
      }
      const { token, role } = await tokens.self(principal);
      const grant = principal.grants[0];
      return {
        tokenKind: "api" as const,
        id: token.id,
        name: token.name,
        entityType: token.entity_type,
        entityId: token.entity_id,
        orgId: grant?.orgId ?? null,
        role: { id: token.role_id, name: role?.name ?? token.role_id, type: token.entity_type },
        permissions: { orgScope: [], teamScope: [], projectScope: [], apiScope: [], ...grant?.permissions },
        restrictions: grant?.restrictions ?? null,
        creatorEmail: token.creator_email,
        createdAt: token.created_at,
        expiresAt: token.expires_at,
      };
    },
  });

  app.get("/.well-known/jwks.json", (_request, reply) => reply.header("cache-control", "public, max-age=300").send(keys.jwks()));
}
