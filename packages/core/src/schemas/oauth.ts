import { z } from "zod";
import { Description, Name, Slug } from "./common.js";
import { TokenMetadata } from "./tokens.js";

export const GRANT_TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
export const GRANT_DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code";
export const TOKEN_TYPE_ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token";
export const TOKEN_TYPE_JWT = "urn:ietf:params:oauth:token-type:jwt";
export const TOKEN_TYPE_ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token";

/** OAuth's error reply (RFC 6749 section 5.2, RFC 8628 section 3.5). */
export const OAuthError = z.object({
  error: z.enum([
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unsupported_grant_type",
    "authorization_pending",
    "slow_down",
    "access_denied",
    "expired_token",
  ]),
  error_description: z.string().optional(),
});
export type OAuthErrorCode = z.infer<typeof OAuthError>["error"];

/** `POST /v1/oauth/token`'s success. */
export const OAuthTokenReply = z.object({
  access_token: z.string(),
  issued_token_type: z.literal(TOKEN_TYPE_ACCESS_TOKEN).optional(),
  token_type: z.literal("Bearer"),
  expires_in: z.number().int().optional(),
});

/** A user code as people type it: eight letters, a hyphen optional, any case. */
export const UserCode = z
  .string()
  .max(32)
  .transform((v) => v.toUpperCase().replace(/[^A-Z]/g, ""))
  .pipe(z.string().length(8, "a user code has eight letters"));

/** `POST /v1/oauth/device_authorization` (form): what a device may ask for, all optional (elevation sets them). */
export const DeviceAuthorizationRequest = z.strictObject({
  client_id: z.string().max(100).optional(),
  scope: z.string().max(200).optional(),
  /** Latchkey's: a role the device asks for (elevation); the approver still chooses. */
  requested_role: Slug.optional(),
  /** Latchkey's: the lifetime the device asks for, in seconds (elevation: at most 3600). */
  requested_lifetime: z.coerce.number().int().min(60).max(3600).optional(),
  /** Latchkey's: why (elevation); shown to the approver, kept in the token's description and the audit log. */
  reason: z.string().trim().min(1).max(500).optional(),
});

/** `POST /v1/oauth/device_authorization`'s reply (RFC 8628 section 3.2). */
export const DeviceAuthorizationReply = z.object({
  device_code: z.string(),
  user_code: z.string(),
  verification_uri: z.string(),
  verification_uri_complete: z.string(),
  expires_in: z.number().int(),
  interval: z.number().int(),
});

/** `POST /v1/oauth/device/lookup`: what the person about to approve sees of a pending request. */
export const DeviceLookup = z.strictObject({ userCode: UserCode });
export const DeviceRequestInfo = z.object({
  userCode: z.string(),
  expiresAt: z.string(),
  requestedRole: z.string().nullable(),
  requestedLifetimeSeconds: z.number().int().nullable(),
  reason: z.string().nullable(),
  userAgent: z.string(),
  ip: z.string(),
});

/** `POST /v1/oauth/device/approve`: the token is made from a team role (teamId) or an organisation role (orgId). */
export const DeviceApprove = z
  .strictObject({
    userCode: UserCode,
    teamId: Slug.optional(),
    orgId: Slug.optional(),
    roleId: Slug,
    name: Name,
    description: Description.default(""),
    lifetimeSeconds: z
      .number()
      .int()
      .min(60)
      .max(10 * 365 * 86_400)
      .nullable()
      .optional(),
  })
  .refine((v) => (v.teamId === undefined) !== (v.orgId === undefined), {
    message: "give exactly one of teamId and orgId",
    path: ["teamId"],
  });

/** `POST /v1/oauth/device/deny`. */
export const DeviceDeny = z.strictObject({ userCode: UserCode });

/** The reply to an approval: the token's metadata (its secret goes to the polling device only). */
export const DeviceApproved = z.object({ apiToken: TokenMetadata });
