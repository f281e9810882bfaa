import { TokenCheckRequest, TokenCheckResult } from "@latchkey/core";
import type { Services } from "../../services/app-services.js";
import type { Router } from "../route.js";

/** `POST /v1/auth/check`: a service asks what a token it was given may do (API.md "Checking tokens for other services"). */
export function tokenCheckRoutes(router: Router, { checks }: Services): void {
  router.add({
    method: "POST",
    url: "/v1/auth/check",
    summary:
      "Check a token for another service: always 200 with {valid, code}; tokens outside the caller's team or organisation are NOT_FOUND",
    tags: ["auth"],
    permission: { none: "the checked token names the team or organisation: token-reach.ts requires apis.verify there" },
    body: TokenCheckRequest,
    reply: TokenCheckResult,
    secret: true,
    handler: async ({ principal, body }) => {
      const { principal: _checked, ...answer } = await checks.check(principal, body.token, body.permissions ?? [], "check", body.ip);
      return answer;
    },
  });
}
