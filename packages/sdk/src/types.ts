import type {
  AuditEvent as AuditEventSchema,
  AuthInfo as AuthInfoSchema,
  InviteReply as InviteReplySchema,
  KeyRotated as KeyRotatedSchema,
  Member as MemberSchema,
  OrgRole,
  Project as ProjectSchema,
  TeamRole,
  TokenCreated as TokenCreatedSchema,
  TokenMetadata as TokenMetadataSchema,
} from "@latchkey/core";
import type { z } from "zod";

// The replies' types come from the zod schemas the server validates with: one source for the API.

/** `GET /v1/auth`: what a credential may do now. */
export type AuthInfo = z.output<typeof AuthInfoSchema>;
/** An API token's metadata (never its secret). */
export type TokenMetadata = z.output<typeof TokenMetadataSchema>;
/** The reply that creates a token: the only one, with key rotation, that holds its secret. */
export type TokenCreated = z.output<typeof TokenCreatedSchema>;
/** The reply to a key rotation, with the new secret. */
export type KeyRotated = z.output<typeof KeyRotatedSchema>;
/** A team or organisation role. */
export type Role = z.output<typeof TeamRole> | z.output<typeof OrgRole>;
/** A member of a team or organisation. */
export type Member = z.output<typeof MemberSchema>;
/** The reply to an invitation. */
export type InviteReply = z.output<typeof InviteReplySchema>;
/** A project. */
export type Project = z.output<typeof ProjectSchema>;
/** One audit log entry. */
export type AuditEvent = z.output<typeof AuditEventSchema>;
