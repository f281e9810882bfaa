import { DomainError, GithubScanningReport, GithubScanningVerdict, TokenRevocationReceipt, TokenRevocationRequest } from "@latchkey/core";
import { z } from "zod";
import type { Services } from "../../services/app-services.js";
import { sha256 } from "../../lib/secrets.js";
import { SENT, type Router } from "../route.js";

const tags = ["Leaked tokens"];

/** The one header value of a name, or "" (a repeated header is as good as missing). */
const header = (value: string | string[] | undefined): string => (typeof value === "string" ? value.trim() : "");

/**
 * Leaked tokens: anyone who holds one may revoke it (`/v1/token-revocations`, like GitHub's credential revocation
 * API), and GitHub's secret scanning reports what it finds in public repositories.
 */
export function leakRoutes(router: Router, { leaks, githubScanningKeys }: Services): void {
  router.add({
    method: "POST",
    url: "/v1/token-revocations",
    summary: "Revoke leaked tokens: no credential; every genuine, live token in the list is revoked. The reply never says which were",
    tags,
    auth: "none",
    body: TokenRevocationRequest,
    reply: TokenRevocationReceipt,
    handler: async ({ body, request }) => {
      leaks.admit(request.ip);
      await leaks.report(body.tokens, { source: "public", ip: request.ip });
      return { received: body.tokens.length };
    },
  });

  router.add({
    method: "POST",
    url: "/v1/secret-scanning/github",
    summary:
      "GitHub secret scanning partner endpoint: a JSON array of {token, type, url, source} signed by GitHub " +
      "(GITHUB-PUBLIC-KEY-IDENTIFIER, GITHUB-PUBLIC-KEY-SIGNATURE: ECDSA P-256 SHA-256 over the raw body); " +
      "replies with a bare array of {token_hash, token_type, label}",
    tags,
    auth: "none",
    reply: z.array(GithubScanningVerdict),
    handler: async ({ request, reply }) => {
      // The signature is the credential: checked over the exact bytes received before the body is looked at.
      const keyId = header(request.headers["github-public-key-identifier"]);
      const signature = header(request.headers["github-public-key-signature"]);
      const raw = request.rawBody;
      if (!raw || !(await githubScanningKeys.verify(raw, keyId, signature))) {
        throw new DomainError("UNAUTHENTICATED", "missing or invalid GitHub signature");
      }
      const parsed = GithubScanningReport.safeParse(request.body);
      if (!parsed.success)
        throw new DomainError("VALIDATION_FAILED", "not a secret scanning report", {
          fields: { body: parsed.error.issues[0]?.message ?? "invalid" },
        });
      const matches = parsed.data;
      const verdicts = await leaks.report(
        matches.map((m) => m.token),
        { source: "github", ip: request.ip, urls: matches.map((m) => m.url) },
      );
      const body = matches.map((m, i) => ({
        token_hash: sha256(m.token),
        token_type: m.type,
        label: verdicts[i] === "unknown" ? ("false_positive" as const) : ("true_positive" as const),
      }));
      void reply.type("application/json; charset=utf-8").send(body);
      return SENT;
    },
  });
}
