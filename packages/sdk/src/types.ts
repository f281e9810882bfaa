import type * as core from "@latchkey/core";
import type { z } from "zod";

// Every type comes from the zod schemas the server validates with: the API and its client cannot drift apart.

/** A person who can sign in to the console. */
export type User = z.output<typeof core.User>;
/** The reply to sign-in, setup and accepting an invitation. */
export type SessionReply = z.output<typeof core.SessionReply>;
/** An organisation. */
export type Org = z.output<typeof core.Org>;
/** A team. */
export type Team = z.output<typeof core.Team>;
/** A team role. */
export type TeamRole = z.output<typeof core.TeamRole>;
/** An organisation role. */
export type OrgRole = z.output<typeof core.OrgRole>;
/** A team or organisation role. */
export type Role = TeamRole | OrgRole;
/** A member with the roles they hold. */
export type Member = z.output<typeof core.Member>;
/** The reply to an invitation: its link for an existing account, and what became of the message sent to the address. */
export type InviteReply = z.output<typeof core.InviteReply>;
/** A pending invitation as its team or organisation lists it (never its links). */
export type Invitation = z.output<typeof core.Invitation>;
/** What an invitation link leads to: where, for which address, who invited, which roles (its landing page). */
export type InvitationPreview = z.output<typeof core.InvitationPreview>;
/** A project. */
export type Project = z.output<typeof core.Project>;
/** An API of your own with the permissions it declares. */
export type Api = z.output<typeof core.Api>;
/** An entry of the permission catalogue. */
export type PermissionInfo = z.output<typeof core.PermissionInfo>;
/** A role's permissions in the three scopes. */
export type PermissionSet = z.output<typeof core.PermissionSetSchema>;
/** A team role's project restrictions. */
export type ProjectRestrictions = z.output<typeof core.ProjectRestrictionsSchema>;
/** An organisation role's team restrictions. */
export type OrgRestrictions = z.output<typeof core.OrgRestrictionsSchema>;
/** Token metadata: everything but the secret. */
export type TokenMetadata = z.output<typeof core.TokenMetadata>;
/** The reply that creates a token, with its secret. */
export type TokenCreated = z.output<typeof core.TokenCreated>;
/** The reply to a key rotation, with the new secret. */
export type KeyRotated = z.output<typeof core.KeyRotated>;
/** What a credential may do right now. */
export type AuthInfo = z.output<typeof core.AuthInfo>;
/** One audit event. */
export type AuditEvent = z.output<typeof core.AuditEvent>;
/** What the caller may do on a team or organisation, and the roles they may grant there. */
export type MyAccess = z.output<typeof core.MyAccess>;
/** What the approval page shows of a waiting CLI login. */
export type CliLoginDescription = z.output<typeof core.CliLoginDescription>;
/** The result of a chain check. */
export type AuditVerification = z.output<typeof core.AuditVerification>;

/** Request bodies, as the server accepts them (defaults may be left out). */
export type OrgCreate = z.input<typeof core.OrgCreate>;
export type TeamCreate = z.input<typeof core.TeamCreate>;
export type TeamUpdate = z.input<typeof core.TeamUpdate>;
export type TeamRoleCreate = z.input<typeof core.TeamRoleCreate>;
export type OrgRoleCreate = z.input<typeof core.OrgRoleCreate>;
export type TeamRoleUpdate = z.input<typeof core.TeamRoleUpdate>;
export type OrgRoleUpdate = z.input<typeof core.OrgRoleUpdate>;
export type MemberInvite = z.input<typeof core.MemberInvite>;
export type TokenCreate = z.input<typeof core.TokenCreate>;
export type TokenUpdate = z.input<typeof core.TokenUpdate>;
export type SetupCreate = z.input<typeof core.SetupCreate>;
export type InvitationAccept = z.input<typeof core.InvitationAccept>;
export type InvitationConfirm = z.input<typeof core.InvitationConfirm>;
export type ProjectCreate = z.input<typeof core.ProjectCreate>;
export type ApiCreate = z.input<typeof core.ApiCreate>;
export type ApiUpdate = z.input<typeof core.ApiUpdate>;

/** Audit feed filters (API.md). */
export type AuditFilters = Partial<Omit<z.input<typeof core.AuditQuery>, "format" | "perPage" | "per_page" | "cursor">>;

/** Where a resource lives: a team or an organisation. */
export type Entity = z.output<typeof core.EntityRef>;

/** `POST /v1/cli-login/approve`: a team role or an organisation role, a name and a lifetime. */
export type CliLoginApprove = { sessionToken: string; roleId: string; name: string; expiresAt: string | null } & (
  { teamId: string; orgId?: never } | { orgId: string; teamId?: never }
);
/** A trust policy: which foreign ID tokens get a token of which role. */
export type TrustPolicy = z.output<typeof core.TrustPolicy>;
/** `POST .../trust-policies`. */
export type TrustPolicyCreate = z.input<typeof core.TrustPolicyCreate>;
/** `PATCH .../trust-policies/{policyId}`. */
export type TrustPolicyUpdate = z.input<typeof core.TrustPolicyUpdate>;
/** What the approver sees of a pending device request. */
export type DeviceRequestInfo = z.output<typeof core.DeviceRequestInfo>;
/** `POST /v1/oauth/device/approve`. */
export type DeviceApprove = z.input<typeof core.DeviceApprove>;

/** A webhook endpoint (never its secret, except in `WebhookCreated`). */
export type Webhook = z.output<typeof core.Webhook>;
/** The reply to adding a webhook: the signing secret (`whsec_...`), shown once. */
export type WebhookCreated = z.output<typeof core.WebhookCreated>;
export type WebhookCreate = z.input<typeof core.WebhookCreate>;
export type WebhookUpdate = z.input<typeof core.WebhookUpdate>;
/** One message of a webhook's outbox and how its delivery went. */
export type WebhookDelivery = z.output<typeof core.WebhookDelivery>;
