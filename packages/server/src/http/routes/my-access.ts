import { MyAccess, Slug } from "@latchkey/core";
import { z } from "zod";
import type { Services } from "../../services/app-services.js";
import type { Router } from "../route.js";

/** What the caller may do on a team or organisation: the console's one source for which actions to offer. */
export function myAccessRoutes(router: Router, { myAccess }: Services): void {
  for (const [type, prefix, key] of [
    ["team", "/v1/teams/:teamId", "teamId"],
    ["org", "/v1/orgs/:orgId", "orgId"],
  ] as const) {
    router.add({
      method: "GET",
      url: `${prefix}/my-access`,
      summary: `Your effective permissions on the ${type === "team" ? "team" : "organisation"} and the roles you may grant there`,
      tags: ["identity"],
      permission: { none: "it answers what the caller may do there; reaching the team or organisation is enough (else 404)" },
      params: z.strictObject({ [key]: Slug }),
      reply: MyAccess,
      handler: ({ principal, params }) => myAccess.of(principal, type, String(params[key])),
    });
  }
}
