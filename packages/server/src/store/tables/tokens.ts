// Row types of API tokens and what issues them: signing keys, CLI logins, device authorizations, trust policies
// (store/schema.ts maps tables to them).
import type { EntityType } from "./entities.js";

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
