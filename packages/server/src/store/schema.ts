/**
 * The database as Kysely sees it: each table's row type by table name. Times are ISO 8601 strings; JSON columns are
 * text. The row types live in tables/, by what they hold; server-wide state (meta, rate-limit windows) here.
 */
import type { SessionsTable, UsersTable } from "./tables/accounts.js";
import type { ApiPermissionsTable, ApisTable } from "./tables/apis.js";
import type { AuditEventsTable, AuditFeedHeadsTable, AuditSegmentsTable, TombstonesTable } from "./tables/audit.js";
import type {
  InvitationsTable,
  MemberRolesTable,
  MembershipsTable,
  OrgsTable,
  ProjectsTable,
  RolesTable,
  TeamsTable,
} from "./tables/entities.js";
import type {
  ApiTokenKeysTable,
  ApiTokensTable,
  CliLoginsTable,
  DeviceAuthorizationsTable,
  SigningKeysTable,
  TrustPoliciesTable,
} from "./tables/tokens.js";
import type { WebhookAttemptsTable, WebhookDeliveriesTable, WebhooksTable } from "./tables/webhooks.js";

export type * from "./tables/accounts.js";
export type * from "./tables/apis.js";
export type * from "./tables/audit.js";
export type * from "./tables/entities.js";
export type * from "./tables/tokens.js";
export type * from "./tables/webhooks.js";

/** Requests counted in one window by every process together. */
export interface RateLimitsTable {
  key: string;
  window_minute: number;
  count: number;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  orgs: OrgsTable;
  teams: TeamsTable;
  rate_limits: RateLimitsTable;
  roles: RolesTable;
  memberships: MembershipsTable;
  member_roles: MemberRolesTable;
  projects: ProjectsTable;
  invitations: InvitationsTable;
  meta: MetaTable;
  signing_keys: SigningKeysTable;
  api_tokens: ApiTokensTable;
  api_token_keys: ApiTokenKeysTable;
  audit_events: AuditEventsTable;
  audit_segments: AuditSegmentsTable;
  audit_feed_heads: AuditFeedHeadsTable;
  tombstones: TombstonesTable;
  cli_logins: CliLoginsTable;
  apis: ApisTable;
  api_permissions: ApiPermissionsTable;
  trust_policies: TrustPoliciesTable;
  device_authorizations: DeviceAuthorizationsTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
}
