/** Table types for Kysely. Times are ISO 8601 strings; JSON columns are text. */
export interface UsersTable {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  created_at: string;
  updated_at: string;
}

export interface SessionsTable {
  id_hash: string;
  user_id: string;
  csrf_hash: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
}

export interface OrgsTable {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
  /** Requests per hour for each of its tokens; null: the server's default. */
  rate_limit_per_hour: number | null;
}

export interface TeamsTable {
  id: string;
  org_id: string | null;
  name: string;
  description: string;
  created_at: string;
  updated_at: string;
  /** Requests per hour for each of its tokens; null: the server's default. */
  rate_limit_per_hour: number | null;
}

/** Requests counted in one window by every process together. */
export interface RateLimitsTable {
  key: string;
  window_minute: number;
  count: number;
}

export type EntityType = "team" | "org";

export interface RolesTable {
  entity_type: EntityType;
  entity_id: string;
  id: string;
  name: string;
  description: string;
  permissions: string;
  restrictions: string;
  created_at: string;
  updated_at: string;
}

export interface MembershipsTable {
  entity_type: EntityType;
  entity_id: string;
  user_id: string;
  created_at: string;
}

export interface MemberRolesTable {
  entity_type: EntityType;
  entity_id: string;
  user_id: string;
  role_id: string;
}

export interface ProjectsTable {
  team_id: string;
  id: string;
  name: string;
  description: string;
  /** Northflank's project fields (migration 016): null when not given. */
  region: string | null;
  color: string | null;
  cluster_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface InvitationsTable {
  id: string;
  token_hash: string;
  email: string;
  entity_type: EntityType;
  entity_id: string;
  roles: string;
  invited_by: string;
  created_at: string;
  expires_at: string;
  accepted_at: string | null;
  revoked_at: string | null;
  confirm_hash: string | null;
  confirm_sent_at: string | null;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface SigningKeysTable {
  kid: string;
  public_jwk: string;
  /** The private key, encrypted with the master key (AES-256-GCM). */
  private_key: string;
  created_at: string;
  retired_at: string | null;
}

export interface ApiTokensTable {
  id: string;
  entity_type: EntityType;
  entity_id: string;
  role_id: string;
  name: string;
  description: string;
  creator_id: string;
  creator_email: string;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  last_used_ip: string | null;
  /** JSON array of CIDR blocks the token may be used from; `[]`: any address. */
  allowed_ips: string;
  /** When its creator left the team or organisation; null while they are there. */
  creator_left_at: string | null;
}

export interface ApiTokenKeysTable {
  id: string;
  token_id: string;
  /** SHA-256 of the issued JWT string: the token itself is never stored. */
  secret_hash: string;
  issued_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

export interface AuditEventsTable {
  id: string;
  /** The chain the event belongs to: `team:<id>`, `org:<id>` or `token:<id>`. */
  feed: string;
  seq: number;
  entity_type: EntityType;
  entity_id: string;
  at: string;
  event_type: string;
  actor_type: "user" | "apiToken" | "anonymous";
  actor_id: string;
  actor_email: string | null;
  token_id: string | null;
  origin: "api" | "ui" | "cli";
  outcome: "allowed" | "denied" | "failed";
  status: number;
  method: string;
  path: string;
  resource_type: string | null;
  resource_id: string | null;
  ip: string;
  user_agent: string;
  duration_ms: number | null;
  details: string;
  prev_hash: string;
  hash: string;
}

/**
 * The events of a token's feed (its requests), a write batch to a row: see audit/segments.ts. `prev_hash` is the
 * chain's hash before the first event; `min_at`/`max_at` bound the events' times, so that lists skip whole segments.
 */
export interface AuditSegmentsTable {
  feed: string;
  first_seq: number;
  last_seq: number;
  entity_type: EntityType;
  entity_id: string;
  min_at: string;
  max_at: string;
  prev_hash: string;
  last_hash: string;
  /** JSON: one array per event, in seq order. */
  events: string;
}

export interface AuditFeedHeadsTable {
  feed: string;
  seq: number;
  hash: string;
  anchor_seq: number;
  anchor_hash: string;
}

export interface TombstonesTable {
  entity_type: EntityType;
  entity_id: string;
  deleted_at: string;
}

/** A pending CLI login; `sealed_token` is the approved token encrypted under a key derived from the session token. */
export interface CliLoginsTable {
  id_hash: string;
  status: "pending" | "claimed" | "approved" | "denied";
  created_at: string;
  expires_at: string;
  context_name: string | null;
  sealed_token: string | null;
  message: string | null;
  /** The code the CLI showed in its terminal (migration 014); null when it showed none. */
  pairing_code: string | null;
}

/** An API of your own: a team's or organisation's service (issue 15). */
export interface ApisTable {
  entity_type: EntityType;
  entity_id: string;
  id: string;
  name: string;
  description: string;
  created_at: string;
  updated_at: string;
}

/** A trust policy (issue 19): ID tokens of `issuer` for `audience` meeting `conditions` (JSON) get a token of `role_id`. */
export interface TrustPoliciesTable {
  id: string;
  entity_type: EntityType;
  entity_id: string;
  name: string;
  issuer: string;
  audience: string;
  conditions: string;
  role_id: string;
  max_lifetime_seconds: number;
  creator_id: string;
  creator_email: string;
  created_at: string;
  updated_at: string;
}

/** One permission an API declares; `position` keeps the order it was given in. */
export interface ApiPermissionsTable {
  entity_type: EntityType;
  entity_id: string;
  api_id: string;
  id: string;
  description: string;
  /** 0 or 1. */
  sensitive: number;
  position: number;
}

/** A device authorization (RFC 8628): codes as SHA-256 only; the approved token sealed under the master key. */
export interface DeviceAuthorizationsTable {
  device_code_hash: string;
  user_code_hash: string;
  status: "pending" | "approved" | "denied";
  created_at: string;
  expires_at: string;
  interval_seconds: number;
  last_polled_at: string | null;
  requested_role: string | null;
  requested_lifetime: number | null;
  reason: string | null;
  ip: string;
  user_agent: string;
  entity_type: EntityType | null;
  entity_id: string | null;
  token_id: string | null;
  sealed_token: string | null;
  token_expires_at: string | null;
}

/** A webhook endpoint of a team or organisation; `secret` is the Standard Webhooks key sealed with the master key. */
export interface WebhooksTable {
  id: string;
  entity_type: EntityType;
  entity_id: string;
  url: string;
  /** JSON: the event types it receives. */
  events: string;
  description: string;
  secret: string;
  /** 1 or 0. */
  enabled: number;
  created_at: string;
  updated_at: string;
}

/** The outbox: one message to one webhook, written in the transaction of the change it announces. */
export interface WebhookDeliveriesTable {
  id: string;
  webhook_id: string;
  event_type: string;
  /** The JSON body sent: `{type, timestamp, data}`. */
  payload: string;
  /** Unique when set: one-time events (`token.expiring` per threshold) are enqueued once across processes. */
  dedupe_key: string | null;
  attempt: number;
  /** When it is next due; a claimed message's is pushed on by a lease, so a crashed sender's message comes back. */
  next_attempt_at: string | null;
  status: "pending" | "delivered" | "failed";
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
}

/** The delivery log: every attempt and its outcome. */
export interface WebhookAttemptsTable {
  delivery_id: string;
  attempt: number;
  at: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
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
