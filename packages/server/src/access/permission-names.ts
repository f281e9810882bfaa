import { canUseApi, permission, scopeKey } from "@latchkey/core";
import type { Principal } from "./principal.js";

/** The team or organisation whose permission names a check is read against: the checked token's. */
export interface NameScope {
  type: "team" | "org";
  id: string;
  /** The team's organisation (whose APIs a team role may grant too), or the organisation itself. */
  orgId: string | null;
}

/**
 * The seam between the doors that check tokens for other services (forward auth, check, introspection) and the
 * names they may ask about: Latchkey's own catalogue (`project.read`) and the custom APIs of API.md ("APIs of your
 * own": `billing:invoices.read`, granted in a role's `apiScope`). `grants` and `apiScope` run on every forward-auth
 * request and answer from the principal in memory. `resolve` is asked only on the refusal path, for names the token
 * does not hold (a name a role grants exists: deleting a permission takes it out of every role), so it may read the
 * store.
 */
export interface PermissionNames {
  /** Sorts names into those the scope knows and the rest (which the doors refuse with 400 naming them). */
  resolve(
    scope: NameScope,
    names: readonly string[],
  ): { known: string[]; unknown: string[] } | Promise<{ known: string[]; unknown: string[] }>;
  /** Whether the principal's grants give one known name. */
  grants(principal: Principal, name: string): boolean;
  /** The API permissions the principal's role grants (its `apiScope`): check's `permissions`, introspection's `scope`. */
  apiScope(principal: Principal): string[];
}

/** `<apiId>:<permissionId>`: the full name of a custom API's permission. */
export const API_PERMISSION_NAME = /^[a-z0-9]+(-[a-z0-9]+)*:[a-z0-9]+([._-][a-z0-9]+)*$/;

/**
 * Latchkey's own catalogue only: a catalogue id is known everywhere; `api:permission` names are unknown here (see
 * `withApis`). A catalogue permission is held when the token's role lists it (for org-level ids, an organisation
 * role); project and team restrictions are not applied, as a forwarded request names no project.
 */
export const catalogueNames: PermissionNames = {
  resolve(_scope, names) {
    const known: string[] = [];
    const unknown: string[] = [];
    for (const name of names) (permission(name) ? known : unknown).push(name);
    return { known, unknown };
  },
  grants(principal, name) {
    const entry = permission(name);
    if (!entry) return API_PERMISSION_NAME.test(name) && canUseApi(principal.grants, name);
    const key = scopeKey(entry.scope);
    return principal.grants.some((g) => (entry.scope !== "org" || g.entityType === "org") && g.permissions[key].includes(name));
  },
  apiScope(principal) {
    const names = principal.grants.flatMap((g) => (g.permissions as { apiScope?: string[] }).apiScope ?? []);
    return [...new Set(names)];
  },
};

/**
 * The catalogue and the custom APIs of the scope: `api:permission` names are looked up (`lookup`: the APIs a role of
 * the scope may grant, services/api-scope.ts) only when a token does not hold them, to tell 400 from 403.
 */
export function withApis(
  lookup: (scope: NameScope, names: readonly string[]) => Promise<{ known: string[]; unknown: string[] }>,
): PermissionNames {
  return {
    ...catalogueNames,
    async resolve(scope, names) {
      const own = catalogueNames.resolve(scope, names) as { known: string[]; unknown: string[] };
      const custom = own.unknown.filter((name) => API_PERMISSION_NAME.test(name));
      if (custom.length === 0) return own;
      const found = await lookup(scope, custom);
      const unknown = new Set(own.unknown.filter((name) => !custom.includes(name)).concat(found.unknown));
      // In the order asked, as the catalogue's own answer is.
      return { known: names.filter((name) => !unknown.has(name)), unknown: names.filter((name) => unknown.has(name)) };
    },
  };
}
