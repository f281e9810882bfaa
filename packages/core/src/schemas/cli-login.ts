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

/** What the client sends: `init` to start, `aborted` to give up. */
export const CliLoginClientMessage = z.union([z.object({ type: z.literal("init") }), z.object({ type: z.literal("aborted") })]);
export type CliLoginClientMessage = z.output<typeof CliLoginClientMessage>;
