import type { Page } from "../http.js";
import type { Entity, Member } from "../types.js";
import { enc, entityPath } from "./entity-path.js";
import type { Deleted, PageOptions, Transport } from "./transport.js";

/** Roles of a team or an organisation; the role type follows the entity. */
export interface RolesApi<R, C, U> {
  list(options?: PageOptions): Promise<Page<R>>;
  all(): Promise<R[]>;
  get(roleId: string): Promise<R>;
  create(body: C): Promise<R>;
  update(roleId: string, body: U): Promise<R>;
  delete(roleId: string): Promise<Deleted>;
  members(roleId: string, options?: PageOptions): Promise<Page<Member>>;
  addMember(roleId: string, userId: string): Promise<Member>;
  removeMember(roleId: string, userId: string): Promise<Member>;
}

/** `LatchkeyClient.teamRoles`, `orgRoles` and `roles`: roles of a team or organisation, and their members. */
export function createRolesApi<R, C, U>(t: Transport, entity: Entity): RolesApi<R, C, U> {
  const base = `${entityPath(entity)}/roles`;
  const one = (roleId: string) => `${base}/${enc(roleId)}`;
  return {
    list: (options = {}) => t.page<R>(base, "roles", options),
    all: () => t.all<R>(base, "roles"),
    get: (roleId) => t.request<R>("GET", one(roleId)),
    create: (body) => t.request<R>("POST", base, { body }),
    update: (roleId, body) => t.request<R>("PATCH", one(roleId), { body }),
    delete: (roleId) => t.request<Deleted>("DELETE", one(roleId)),
    members: (roleId, options = {}) => t.page<Member>(`${one(roleId)}/members`, "members", options),
    addMember: (roleId, userId) => t.request<Member>("POST", `${one(roleId)}/members`, { body: { userId } }),
    removeMember: (roleId, userId) => t.request<Member>("DELETE", `${one(roleId)}/members/${enc(userId)}`),
  };
}
