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
}

export interface TeamsTable {
  id: string;
  org_id: string | null;
  name: string;
  description: string;
  created_at: string;
  updated_at: string;
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
  roles: RolesTable;
  memberships: MembershipsTable;
  member_roles: MemberRolesTable;
  projects: ProjectsTable;
  invitations: InvitationsTable;
  meta: MetaTable;
}
