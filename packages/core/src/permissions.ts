import type { z } from "zod";
import type { PermissionSetSchema } from "./schemas/common.js";
/** The three scopes a permission lives in. */
export type PermissionScope = "org" | "team" | "project";

/**
 * What a permission lets its holder do; `default` team roles get create, read and update. `verify`: ask Latchkey
 * about other tokens (check, introspection, forward auth's event stream).
 */
export type PermissionAction = "create" | "read" | "update" | "delete" | "manage" | "verify";

/** One entry of the permission catalogue (`GET /v1/permissions`). */
export interface PermissionEntry {
  id: string;
  scope: PermissionScope;
  group: string;
  label: string;
  action: PermissionAction;
  /** Grants power over access itself (tokens, roles, members) or destroys data: shown with a warning. */
  sensitive: boolean;
}

const entry = <const I extends string>(
  id: I,
  group: string,
  label: string,
  action: PermissionAction,
  sensitive = false,
): PermissionEntry & { id: I } => ({
  id,
  scope: id.startsWith("org.") ? "org" : id.startsWith("team.") ? "team" : "project",
  group,
  label,
  action,
  sensitive,
});

/** Every permission Latchkey knows, in display order. */
export const PERMISSIONS = [
  entry("org.read", "Organisation", "View organisation", "read"),
  entry("org.update", "Organisation", "Edit organisation", "update"),
  entry("org.delete", "Organisation", "Delete organisation", "delete", true),
  entry("org.teams.read", "Teams", "List teams", "read"),
  entry("org.teams.create", "Teams", "Create teams", "create"),
  entry("org.teams.delete", "Teams", "Delete teams", "delete", true),
  entry("org.members.read", "Members", "List organisation members", "read"),
  entry("org.members.manage", "Members", "Invite, change and remove organisation members", "manage", true),
  entry("org.roles.read", "Roles", "List organisation roles", "read"),
  entry("org.roles.manage", "Roles", "Create, edit and delete organisation roles", "manage", true),
  entry("org.tokens.read", "API tokens", "List organisation API tokens", "read"),
  entry("org.tokens.manage", "API tokens", "Create, rotate and revoke organisation API tokens", "manage", true),
  entry("org.audit.read", "Audit", "Read the organisation audit log", "read"),
  entry("org.ratelimits.manage", "Rate limits", "Set the organisation's API rate limit", "manage", true),
  entry("org.apis.read", "APIs", "List the organisation's APIs and their permissions", "read"),
  entry("org.apis.manage", "APIs", "Create, edit and delete the organisation's APIs", "manage", true),
  entry("org.apis.verify", "APIs", "Check the organisation's tokens for other services", "verify", true),
  entry("org.trustpolicies.read", "Trust policies", "List the organisation's trust policies (federated CI identities)", "read"),
  entry("org.trustpolicies.manage", "Trust policies", "Create, edit and delete the organisation's trust policies", "manage", true),
  entry("org.webhooks.read", "Webhooks", "List organisation webhooks and their deliveries", "read"),
  entry("org.webhooks.manage", "Webhooks", "Add, change, test and delete organisation webhooks", "manage", true),

  entry("team.read", "Team", "View team", "read"),
  entry("team.update", "Team", "Edit team", "update"),
  entry("team.delete", "Team", "Delete team", "delete", true),
  entry("team.members.read", "Members", "List team members", "read"),
  entry("team.members.manage", "Members", "Invite, change and remove team members", "manage", true),
  entry("team.roles.read", "Roles", "List team roles", "read"),
  entry("team.roles.manage", "Roles", "Create, edit and delete team roles", "manage", true),
  entry("team.tokens.read", "API tokens", "List team API tokens", "read"),
  entry("team.tokens.manage", "API tokens", "Create, rotate and revoke team API tokens", "manage", true),
  entry("team.audit.read", "Audit", "Read the team audit log", "read"),
  entry("team.ratelimits.manage", "Rate limits", "Set the team's API rate limit", "manage", true),
  entry("team.apis.read", "APIs", "List the team's APIs and their permissions", "read"),
  entry("team.apis.manage", "APIs", "Create, edit and delete the team's APIs", "manage", true),
  entry("team.apis.verify", "APIs", "Check the team's tokens for other services", "verify", true),
  entry("team.trustpolicies.read", "Trust policies", "List the team's trust policies (federated CI identities)", "read"),
  entry("team.trustpolicies.manage", "Trust policies", "Create, edit and delete the team's trust policies", "manage", true),
  entry("team.webhooks.read", "Webhooks", "List team webhooks and their deliveries", "read"),
  entry("team.webhooks.manage", "Webhooks", "Add, change, test and delete team webhooks", "manage", true),

  entry("project.read", "Projects", "View projects", "read"),
  entry("project.create", "Projects", "Create projects", "create"),
  entry("project.update", "Projects", "Edit projects", "update"),
  entry("project.delete", "Projects", "Delete projects", "delete", true),
] as const;

/** The id of a permission of the catalogue: a typo in a permission id does not compile. */
export type PermissionId = (typeof PERMISSIONS)[number]["id"];

const BY_ID = new Map<string, PermissionEntry>(PERMISSIONS.map((p) => [p.id, p]));

/** The catalogue entry for `id`, or undefined when no such permission exists. */
export function permission(id: string): PermissionEntry | undefined {
  return BY_ID.get(id);
}

/** The ids of every permission of one scope. */
export function permissionIds(scope: PermissionScope): string[] {
  return PERMISSIONS.filter((p) => p.scope === scope).map((p) => p.id);
}

/**
 * Permissions grouped the way a role stores them (the output of PermissionSetSchema), except that a role stored
 * before APIs of your own has no `apiScope`: absent means none.
 */
export type PermissionSet = Omit<z.output<typeof PermissionSetSchema>, "apiScope"> & { apiScope?: string[] };

/** The key of a PermissionSet that holds catalogue permissions. */
export type CatalogueScopeKey = "orgScope" | "teamScope" | "projectScope";

/** The key of a PermissionSet that holds permissions of `scope`. */
export function scopeKey(scope: PermissionScope): CatalogueScopeKey {
  return scope === "org" ? "orgScope" : scope === "team" ? "teamScope" : "projectScope";
}

const pick = (keep: (p: PermissionEntry) => boolean, withOrg: boolean): PermissionSet => ({
  orgScope: withOrg ? permissionIds("org").filter((id) => keep(BY_ID.get(id)!)) : [],
  teamScope: permissionIds("team").filter((id) => keep(BY_ID.get(id)!)),
  projectScope: permissionIds("project").filter((id) => keep(BY_ID.get(id)!)),
  // An owner role receives the permissions of its entity's APIs when they are created (services/apis.ts).
  apiScope: [],
});

/**
 * Owner-only: a rate limit shields the server's shared capacity, a decision for whoever answers for the team or
 * organisation. Owner roles hold every permission and cannot be edited, so a migration can give existing ones these
 * too; an admin role may have been edited since it was seeded, and granting it a new power in bulk would be a guess.
 */
export const OWNER_ONLY_PERMISSIONS: readonly string[] = ["org.ratelimits.manage", "team.ratelimits.manage"];

const NOT_DELETE = (p: PermissionEntry): boolean => p.action !== "delete" && !OWNER_ONLY_PERMISSIONS.includes(p.id);
const EVERYTHING = (): boolean => true;
const PLAIN = (p: PermissionEntry): boolean => (p.action === "create" || p.action === "read" || p.action === "update") && !p.sensitive;

/**
 * The roles every new team starts with: owner (everything), admin (all but deleting and rate limits), default
 * (create/read/update).
 */
export const DEFAULT_TEAM_ROLES = [
  { id: "owner", name: "Owner", description: "Everything, including deleting the team", permissions: pick(EVERYTHING, false) },
  { id: "admin", name: "Admin", description: "Everything except deleting and rate limits", permissions: pick(NOT_DELETE, false) },
  { id: "default", name: "Default", description: "Create, read and update; no delete", permissions: pick(PLAIN, false) },
] as const;

/** The roles every new organisation starts with: owner, admin, member. */
export const DEFAULT_ORG_ROLES = [
  { id: "owner", name: "Owner", description: "Everything in the organisation and all of its teams", permissions: pick(EVERYTHING, true) },
  { id: "admin", name: "Admin", description: "Everything except deleting and rate limits", permissions: pick(NOT_DELETE, true) },
  {
    id: "member",
    name: "Member",
    description: "Read the organisation and its teams",
    permissions: pick((p) => p.action === "read" && !p.sensitive, true),
  },
] as const;

/** The id of the role that can never be deleted nor left without a holder. */
export const OWNER_ROLE = "owner";
