import { SLUG_MAX, SLUG_PATTERN } from "./slug.js";

/** A permission id of an API of your own: lower-case words joined by `.`, `_` or `-` (`invoices.read`). */
export const API_PERMISSION_PATTERN = /^[a-z0-9]+([._-][a-z0-9]+)*$/;

/** Longest permission id of an API. */
export const API_PERMISSION_MAX = 64;

/** Most APIs one team or organisation may register. */
export const MAX_APIS_PER_ENTITY = 100;

/** Most permissions one API may declare. */
export const MAX_PERMISSIONS_PER_API = 200;

/** Most API permissions one role may grant. */
export const MAX_API_SCOPE = 500;

/** A full API permission name split into its API and its permission. */
export interface ApiPermissionName {
  apiId: string;
  permissionId: string;
}

/** Splits `<apiId>:<permissionId>` (`billing:invoices.read`); null when the name is not of that form. */
export function parseApiPermission(name: string): ApiPermissionName | null {
  const colon = name.indexOf(":");
  if (colon < 0) return null;
  const apiId = name.slice(0, colon);
  const permissionId = name.slice(colon + 1);
  if (apiId.length > SLUG_MAX || !SLUG_PATTERN.test(apiId)) return null;
  if (permissionId.length > API_PERMISSION_MAX || !API_PERMISSION_PATTERN.test(permissionId)) return null;
  return { apiId, permissionId };
}

/** The full name of one permission of one API: `billing` and `invoices.read` -> `billing:invoices.read`. */
export function apiPermissionName(apiId: string, permissionId: string): string {
  return `${apiId}:${permissionId}`;
}
