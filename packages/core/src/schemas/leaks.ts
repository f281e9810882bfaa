import { z } from "zod";
import { TOKEN_MAX_LENGTH } from "../token-shape.js";

/** The most tokens one public revocation request may carry. */
export const MAX_REVOCATION_TOKENS = 1000;

/** `POST /v1/token-revocations`: anyone holding leaked tokens reports them (no credential). */
export const TokenRevocationRequest = z.strictObject({
  tokens: z.array(z.string().max(TOKEN_MAX_LENGTH)).max(MAX_REVOCATION_TOKENS),
});

/** Its reply: how many strings were received, never which were genuine. */
export const TokenRevocationReceipt = z.object({ received: z.number().int() });

/** One match in a GitHub secret scanning report (github.com's partner protocol). */
export const GithubScanningMatch = z.object({
  token: z.string().max(TOKEN_MAX_LENGTH),
  type: z.string().max(200),
  url: z.string().max(4096).optional(),
  source: z.string().max(200).optional(),
});

/** `POST /v1/secret-scanning/github`: GitHub's report, at most as many matches as a public revocation. */
export const GithubScanningReport = z.array(GithubScanningMatch).min(1).max(MAX_REVOCATION_TOKENS);

/** What Latchkey tells GitHub of each match. */
export const GithubScanningVerdict = z.object({
  token_hash: z.string(),
  token_type: z.string(),
  label: z.enum(["true_positive", "false_positive"]),
});
