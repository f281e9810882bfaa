import type { UserRow } from "../store/repositories/users.js";

/** A person as the API shows them (never the password hash). */
export interface User {
  id: string;
  email: string;
  name: string;
  createdAt: string;
}

/** The API shape of a stored user. */
export function toUser(row: UserRow): User {
  return { id: row.id, email: row.email, name: row.name, createdAt: row.created_at };
}
