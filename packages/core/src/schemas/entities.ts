import { z } from "zod";
import {
  Description,
  Email,
  IsoTime,
  Name,
  OrgRestrictionsSchema,
  PermissionSetSchema,
  ProjectRestrictionsSchema,
  Slug,
} from "./common.js";

/** A person who can sign in to the console. */
export const User = z.object({ id: z.string(), email: z.string(), name: z.string(), createdAt: IsoTime });

/** `POST /v1/session`. */
export const SessionCreate = z.strictObject({ email: Email, password: z.string().min(1).max(1024) });
/** `POST /v1/session/password`: the signed-in person changes their password; every session of theirs ends. */
export const PasswordChange = z.strictObject({
  currentPassword: z.string().min(1).max(1024),
  newPassword: z.string().min(12).max(1024),
});
/** The console session reply. */
export const SessionReply = z.object({ user: User, csrfToken: z.string() });

/** An organisation. */
/**
 * Requests per hour each of a team's or organisation's tokens may make; null means the server's default
 * (LATCHKEY_RATE_LIMIT_PER_HOUR).
 */
export const RateLimitPerHour = z.number().int().min(1).max(100_000_000).nullable();

export const Org = z.object({ id: Slug, name: z.string(), rateLimitPerHour: RateLimitPerHour, createdAt: IsoTime, updatedAt: IsoTime });
/** `POST /v1/orgs`. */
export const OrgCreate = z.strictObject({ id: Slug.optional(), name: Name });
/** `PATCH /v1/orgs/{orgId}`. */
export const OrgUpdate = z.strictObject({
  name: Name.optional(),
  rateLimitPerHour: RateLimitPerHour.optional().describe(
    "Needs org.ratelimits.manage (owners); at most the server's LATCHKEY_RATE_LIMIT_MAX_PER_HOUR, else 400",
  ),
});

/** A team, inside an organisation or on its own. */
export const Team = z.object({
  id: Slug,
  name: z.string(),
  description: z.string(),
  orgId: Slug.nullable(),
  rateLimitPerHour: RateLimitPerHour,
  createdAt: IsoTime,
  updatedAt: IsoTime,
});
/** `POST /v1/teams` and `POST /v1/orgs/{orgId}/teams`. */
export const TeamCreate = z.strictObject({ id: Slug.optional(), name: Name, description: Description.default("") });
/** `PATCH /v1/teams/{teamId}`. */
export const TeamUpdate = z.strictObject({
  name: Name.optional(),
  description: Description.optional(),
  rateLimitPerHour: RateLimitPerHour.optional().describe(
    "Needs team.ratelimits.manage (owners); at most the server's LATCHKEY_RATE_LIMIT_MAX_PER_HOUR, else 400",
  ),
});

/** A team role. */
export const TeamRole = z.object({
  id: Slug,
  name: z.string(),
  description: z.string(),
  permissions: PermissionSetSchema,
  restrictions: ProjectRestrictionsSchema,
  createdAt: IsoTime,
  updatedAt: IsoTime,
});
/** An organisation role. */
export const OrgRole = TeamRole.extend({ restrictions: OrgRestrictionsSchema });

const DEFAULT_PROJECTS = () => ({ enabled: false, projects: [], restrictionMode: "in" as const });
/** `POST .../roles` of a team. */
export const TeamRoleCreate = z.strictObject({
  id: Slug.optional(),
  name: Name,
  description: Description.default(""),
  permissions: PermissionSetSchema,
  restrictions: ProjectRestrictionsSchema.default(DEFAULT_PROJECTS),
});
/** `POST .../roles` of an organisation. */
export const OrgRoleCreate = TeamRoleCreate.extend({ restrictions: OrgRestrictionsSchema.default(() => ({ enabled: false, teams: [] })) });
/** `PATCH .../roles/{roleId}` of a team. */
export const TeamRoleUpdate = z.strictObject({
  name: Name.optional(),
  description: Description.optional(),
  permissions: PermissionSetSchema.optional(),
  restrictions: ProjectRestrictionsSchema.optional(),
});
/** `PATCH .../roles/{roleId}` of an organisation. */
export const OrgRoleUpdate = TeamRoleUpdate.extend({ restrictions: OrgRestrictionsSchema.optional() });

/** A member of a team or organisation with the roles they hold there. */
export const Member = z.object({
  userId: z.string(),
  email: z.string(),
  name: z.string(),
  roles: z.array(Slug),
  joinedAt: IsoTime,
});
/** `POST .../members`: invite by e-mail. */
export const MemberInvite = z.strictObject({ email: Email, roles: z.array(Slug).min(1).max(20) });
/** `PATCH .../members/{userId}`: change roles. */
export const MemberUpdate = z.strictObject({ roles: z.array(Slug).min(1).max(20) });
/**
 * The reply to an invitation, the same whether or not the address has an account: a single-use link to pass on
 * (an account that exists accepts it with its password), and what became of the message sent to the address, whose
 * own link is the only way to create an account for it: `sent` by SMTP, `logged` for the operator to pass on (no
 * SMTP configured), or `failed` (the invitation stands; a later attempt to accept sends it again).
 */
export const InviteReply = z.object({
  invitation: z.object({
    id: z.string(),
    email: z.string(),
    inviteUrl: z.string(),
    expiresAt: IsoTime,
    mail: z.enum(["sent", "logged", "failed"]),
  }),
});
/** A pending invitation as its team or organisation lists it (never its links). */
export const Invitation = z.object({
  id: z.string(),
  email: z.string(),
  roles: z.array(Slug),
  invitedBy: z.string(),
  createdAt: IsoTime,
  expiresAt: IsoTime,
});
/**
 * `POST /v1/invitations/accept` with the link given to the inviter: the password of the account the address already
 * has. Anything else is answered 403 CONFIRMATION_REQUIRED (the same whether or not an account exists) and the link
 * that proves the address is sent to it again.
 */
export const InvitationAccept = z.strictObject({
  token: z.string().min(16).max(256),
  /** Ignored: the account that accepts keeps its own name (kept optional for clients that still send one). */
  name: Name.optional(),
  password: z.string().min(12).max(1024),
});
/**
 * `POST /v1/invitations/confirm` with the link sent to the address (which proves it): a new account's name and
 * password, or the password of the account the address already has.
 */
export const InvitationConfirm = z.strictObject({
  token: z.string().min(16).max(256),
  name: Name.optional(),
  password: z.string().min(12).max(1024),
});
/**
 * `POST /v1/invitations/lookup`: what an invitation link leads to, for its landing page. `token` is the link given to
 * the inviter (`/invite?token=`), `confirm` the one sent to the address (`/invite?confirm=`); exactly one.
 */
export const InvitationLookup = z
  .strictObject({ token: z.string().min(16).max(256).optional(), confirm: z.string().min(16).max(256).optional() })
  .refine((v) => (v.token === undefined) !== (v.confirm === undefined), {
    message: "give exactly one of token and confirm",
    path: ["token"],
  });
/** What the landing page of an invitation shows: where, for which address, who invited, with which roles. */
export const InvitationPreview = z.object({
  email: z.string(),
  entityType: z.enum(["team", "org"]),
  entityId: Slug,
  entityName: z.string(),
  /** The inviter as they are now; null once their account is gone. */
  invitedBy: z.object({ name: z.string(), email: z.string() }).nullable(),
  roles: z.array(z.object({ id: Slug, name: z.string() })),
  expiresAt: IsoTime,
});
/** `POST /v1/setup`: the first-run owner account through the printed one-time link. */
export const SetupCreate = z.strictObject({
  token: z.string().min(16).max(256),
  email: Email,
  name: Name,
  password: z.string().min(12).max(1024),
});

/** `GET /v1/setup?token=...`: asked by the setup page as it loads, before anyone fills in its form. */
export const SetupStatusQuery = z.strictObject({ token: z.string().max(256).optional() });

/**
 * Whether the instance still waits for its first account, and, when a link's token was given, whether that link can
 * still make it (false once the account exists, or for the link of an earlier start: each start prints a new one).
 */
export const SetupStatus = z.object({ needsSetup: z.boolean(), linkValid: z.boolean().optional() });

/** `POST .../roles/{roleId}/members`. */
export const RoleMemberAdd = z.strictObject({ userId: z.string().min(1).max(64) });

/**
 * A project: the resource Latchkey protects as an example and for tests. `region`, `color` and `clusterId` are the
 * fields Northflank documents for a project (https://northflank.com/docs/v1/api/projects/create-project), so that
 * its clients can create one here; null when not given.
 */
export const Project = z.object({
  id: Slug,
  name: z.string(),
  description: z.string(),
  region: z.string().nullable(),
  color: z.string().nullable(),
  clusterId: z.string().nullable(),
  createdAt: IsoTime,
});
/** Northflank's region ids (`europe-west`, `us-central`): a slug. */
export const ProjectRegion = z
  .string()
  .max(64)
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "must be a region id such as europe-west");
/** A colour as Northflank documents it: `#EF233C` or `#F00`. */
export const ProjectColor = z.string().regex(/^#([a-fA-F0-9]{6}|[a-fA-F0-9]{3})$/, "must be a colour such as #EF233C");
/** A Northflank BYOC cluster id, with Northflank's documented length and pattern. */
export const ProjectClusterId = z
  .string()
  .min(3)
  .max(20)
  .regex(/^[a-z]-?[a-z0-9]+(-[a-z0-9]+)*$/, "must be a cluster id");
/**
 * Northflank's advanced project networking (ingress from other projects, a Tailscale sidecar with its OAuth client
 * secret, host aliases): accepted because Northflank documents it, never stored or shown, since Latchkey has nothing
 * to show it on and it may carry secrets.
 */
export const ProjectNetworking = z.looseObject({});
/** `POST .../projects`: Latchkey's fields and the ones Northflank documents; any other field is refused. */
export const ProjectCreate = z.strictObject({
  id: Slug.optional(),
  name: Name,
  description: Description.default(""),
  region: ProjectRegion.optional(),
  color: ProjectColor.optional(),
  clusterId: ProjectClusterId.optional(),
  networking: ProjectNetworking.optional(),
});
/** `PATCH .../projects/{projectId}`: as Northflank's update, the colour and networking too (null clears the colour). */
export const ProjectUpdate = z.strictObject({
  name: Name.optional(),
  description: Description.optional(),
  color: ProjectColor.nullable().optional(),
  networking: ProjectNetworking.optional(),
});

/** `GET /v1/permissions` entries. */
export const PermissionInfo = z.object({
  id: z.string(),
  scope: z.enum(["org", "team", "project"]),
  group: z.string(),
  label: z.string(),
  sensitive: z.boolean(),
});
