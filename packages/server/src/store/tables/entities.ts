// Row types of teams and organisations: the roles and members they hold, their invitations, a team's projects
// (store/schema.ts maps tables to them).

export type EntityType = "team" | "org";

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
