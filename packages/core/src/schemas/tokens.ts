import { z } from "zod";
import {
  Description,
  IsoTime,
  Name,
  OrgRestrictionsSchema,
  pagedQuery,
  PermissionSetSchema,
  ProjectRestrictionsSchema,
  Slug,
} from "./common.js";
import { CIDR_MAX_LENGTH, parseCidr } from "../cidr.js";

/** The most CIDR blocks one token's allow-list may hold. */
export const MAX_ALLOWED_IPS = 100;

/** A token's IP allow-list: CIDR blocks or single addresses, IPv4 or IPv6; empty means any address. */
export const AllowedIps = z
  .array(
    z
      .string()
      .trim()
      .max(CIDR_MAX_LENGTH)
      .refine((v) => parseCidr(v) !== null, "not an IPv4 or IPv6 address or CIDR block"),
  )
  .max(MAX_ALLOWED_IPS);

/** `POST .../tokens`. */
export const TokenCreate = z.strictObject({
  name: Name.meta({ examples: ["ci"] }),
  description: Description.default(""),
  roleId: Slug.meta({ examples: ["default"] }),
  expiresAt: IsoTime.nullable().optional(),
  allowedIps: AllowedIps.optional().meta({ examples: [["203.0.113.0/24"]] }),
});

/** `PATCH .../tokens/{tokenId}`: never the role. */
export const TokenUpdate = z.strictObject({
  name: Name.optional(),
  description: Description.optional(),
  allowedIps: AllowedIps.optional(),
});

/** `GET .../tokens` query. */
export const TokenListQuery = pagedQuery({
  all: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true"),
});

/** One key of a token: each is one issued JWT. */
export const TokenKey = z.object({ id: z.string(), issuedAt: IsoTime, expiresAt: IsoTime.nullable() });

/** Token metadata: everything but the secret. */
export const TokenMetadata = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  role: z.object({
    roleId: z.string(),
    name: z.string().nullable(),
    roleType: z.enum(["team", "org"]),
    entityType: z.enum(["team", "org"]),
  }),
  entityId: z.string(),
  creatorEmail: z.string(),
  createdAt: IsoTime,
  expiresAt: IsoTime.nullable(),
  lastUsedAt: IsoTime.nullable(),
  lastUsedIp: z.string().nullable(),
  revoked: z.boolean(),
  revokedAt: IsoTime.nullable(),
  active: z.boolean(),
  keys: z.array(TokenKey),
  /** Addresses the token may be used from; empty: any. */
  allowedIps: z.array(z.string()),
  /** Its creator has left the team or organisation since: the token still works, for an admin to keep or revoke. */
  creatorLeft: z.boolean(),
});

/** The reply that creates a token: the only one, with key rotation, that holds its secret. */
export const TokenCreated = z.object({ apiToken: TokenMetadata, token: z.string() });

/** `POST .../tokens/{tokenId}/keys`. */
export const KeyRotate = z.strictObject({ otherKeysExpiresAt: IsoTime.optional() });
/** The reply to a key rotation, with the new secret. */
export const KeyRotated = z.object({ key: z.object({ id: z.string(), issuedAt: IsoTime }), token: z.string() });

/** `GET /v1/auth`: what this credential may do right now. */
export const AuthInfo = z.object({
  tokenKind: z.enum(["api", "session"]),
  id: z.string(),
  name: z.string(),
  entityType: z.enum(["team", "org"]).nullable(),
  entityId: z.string().nullable(),
  orgId: z.string().nullable().optional(),
  role: z.object({ id: z.string(), name: z.string(), type: z.enum(["team", "org"]) }).nullable(),
  permissions: PermissionSetSchema,
  restrictions: z.union([ProjectRestrictionsSchema, OrgRestrictionsSchema]).nullable(),
  creatorEmail: z.string(),
  createdAt: IsoTime.nullable(),
  expiresAt: IsoTime.nullable(),
});
