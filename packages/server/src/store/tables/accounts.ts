// Row types of people and their console sessions (store/schema.ts maps tables to them).

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
