// Row types of APIs of your own and the permissions they declare (store/schema.ts maps tables to them).
import type { EntityType } from "./entities.js";

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
