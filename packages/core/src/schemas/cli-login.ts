import { z } from "zod";
import { Description, IsoTime, Name, Slug } from "./common.js";
import { TokenMetadata } from "./tokens.js";

/** A CLI login's one-time session token, as the login page's URL carries it. */
export const CliLoginSessionToken = z.string().regex(/^[A-Za-z0-9_-]{22,128}$/, "not a login session token");

/** `POST /v1/cli-login/approve`: the token is created from a team role (teamId) or an organisation role (orgId). */
export const CliLoginApprove = z
  .strictObject({
    sessionToken: CliLoginSessionToken,
    teamId: Slug.optional(),
    orgId: Slug.optional(),
    roleId: Slug,
    name: Name,
    description: Description.default(""),
    expiresAt: IsoTime.nullable().optional(),
  })
  .refine((v) => (v.teamId === undefined) !== (v.orgId === undefined), {
    message: "give exactly one of teamId and orgId",
    path: ["teamId"],
  });

/**
 * The short code `latchkey login` shows in its terminal and sends in its `init` message (an optional field: clients of
 * Northflank's protocol send none); the approval page shows it for the person to compare.
 */
export const CliLoginPairingCode = z.string().regex(/^[A-Z0-9]{4}(-[A-Z0-9]{4}){0,3}$/, "not a pairing code");

/** `POST /v1/cli-login/describe`: what the approval page shows of a waiting login. */
export const CliLoginDescribe = z.strictObject({ sessionToken: CliLoginSessionToken });
export const CliLoginDescription = z.object({
  pairingCode: CliLoginPairingCode.nullable().describe("the code the CLI shows in its terminal; null: the client showed none"),
  expiresAt: IsoTime,
});

/** `POST /v1/cli-login/deny`. */
export const CliLoginDeny = z.strictObject({ sessionToken: CliLoginSessionToken });

/** The reply to an approval: the new token's metadata (its secret goes to the waiting CLI only). */
export const CliLoginApproved = z.object({ contextName: z.string(), apiToken: TokenMetadata });

/** What the server sends on the `/v1/cli-login` WebSocket (Northflank's CLI login protocol). */
export const CliLoginServerMessage = z.union([
  z.object({ type: z.literal("init-ack"), loginPage: z.string() }),
  z.object({ type: z.literal("login-success"), apiToken: z.string(), contextName: z.string() }),
  z.object({
    type: z.literal("login-failure"),
    message: z.string(),
    retryAfterSeconds: z.number().int().optional().describe("sent when the server is busy: when to try again"),
  }),
]);
export type CliLoginServerMessage = z.output<typeof CliLoginServerMessage>;

/** What the client sends: `init` to start (with `code`, the pairing code it shows, when it shows one), `aborted` to give up. */
export const CliLoginClientMessage = z.union([
  z.object({ type: z.literal("init"), code: CliLoginPairingCode.optional() }),
  z.object({ type: z.literal("aborted") }),
]);
export type CliLoginClientMessage = z.output<typeof CliLoginClientMessage>;
