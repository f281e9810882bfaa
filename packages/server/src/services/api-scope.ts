import { apiPermissionName, DomainError, parseApiPermission, type PermissionSet } from "@latchkey/core";
import type { ApiOwner } from "../store/repositories/apis.js";
import type { Repositories } from "../store/store.js";

/** A team or organisation as the holder of roles that may grant API permissions. */
export interface ApiScopeHolder {
  type: "team" | "org";
  id: string;
  /** The team's organisation, or the organisation itself; null for a team on its own. */
  orgId: string | null;
}

/** Whose APIs a role of `holder` may grant: a team's own and its organisation's; an organisation's own. */
export function apiOwnersFor(holder: ApiScopeHolder): ApiOwner[] {
  const own: ApiOwner = { type: holder.type, id: holder.id };
  return holder.type === "team" && holder.orgId !== null ? [own, { type: "org", id: holder.orgId }] : [own];
}

/** Which of `names` are declared permissions of APIs a role of `holder` may grant (`known`), and the rest. */
export async function resolveApiPermissions(
  store: Repositories,
  holder: ApiScopeHolder,
  names: readonly string[],
): Promise<{ known: string[]; unknown: string[] }> {
  const parsed = names.map((name) => ({ name, parts: parseApiPermission(name) }));
  const apiIds = [...new Set(parsed.flatMap((p) => (p.parts ? [p.parts.apiId] : [])))];
  const declared = await store.apis.declared(apiOwnersFor(holder), apiIds);
  const existing = new Set(declared.map((d) => apiPermissionName(d.api_id, d.id)));
  const known: string[] = [];
  const unknown: string[] = [];
  for (const { name } of parsed) (existing.has(name) ? known : unknown).push(name);
  return { known, unknown };
}

/**
 * The lock every change of APIs, and every role change that grants API permissions, takes first (in its transaction):
 * the organisation's row, or a lone team's. A role that names a permission cannot commit between an API change's
 * reading of the roles and its rewriting of them, and no two APIs of one organisation get the same id.
 */
export function lockApiNamespace(tx: Repositories, holder: ApiScopeHolder): Promise<void> {
  return holder.orgId ? tx.lockEntity("org", holder.orgId) : tx.lockEntity("team", holder.id);
}

/** Throws 400 naming every `apiScope` entry that no API in the role's reach declares. Call it in the role's transaction. */
export async function assertApiScope(store: Repositories, holder: ApiScopeHolder, permissions: PermissionSet): Promise<void> {
  if ((permissions.apiScope ?? []).length === 0) return;
  await lockApiNamespace(store, holder);
  const { unknown } = await resolveApiPermissions(store, holder, permissions.apiScope ?? []);
  if (unknown.length > 0) {
    throw new DomainError("VALIDATION_FAILED", `unknown API permissions: ${unknown.join(", ")}`, {
      fields: { "permissions.apiScope": `not declared by an API this role may grant: ${unknown.join(", ")}` },
      unknown,
    });
  }
}
