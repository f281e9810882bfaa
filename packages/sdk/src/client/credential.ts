import type { AuthInfo, Entity, MyAccess, PermissionInfo } from "../types.js";
import { entityPath } from "./entity-path.js";
import type { Transport } from "./transport.js";

/** `LatchkeyClient.auth`: what the credential may do right now. */
export function auth(t: Transport): Promise<AuthInfo> {
  return t.request<AuthInfo>("GET", "/v1/auth");
}

/** `LatchkeyClient.login`: the credential's kind, or ApiError 401. */
export function login(t: Transport): Promise<{ valid: true; tokenKind: "api" | "session" }> {
  return t.request("GET", "/v1/login");
}

/** `LatchkeyClient.isValid`: true, or false on a 401. */
export async function isValid(t: Transport): Promise<boolean> {
  try {
    await t.request("GET", "/v1/login");
    return true;
  } catch (error) {
    if ((error as { status?: number }).status === 401) return false;
    throw error;
  }
}

/** `LatchkeyClient.myAccess`: effective permissions and grantable roles on a team or organisation. */
export function myAccess(t: Transport, entity: Entity): Promise<MyAccess> {
  return t.request<MyAccess>("GET", `${entityPath(entity)}/my-access`);
}

/** `LatchkeyClient.permissions`: the permission catalogue. */
export function permissions(t: Transport): Promise<PermissionInfo[]> {
  return t.request<PermissionInfo[]>("GET", "/v1/permissions");
}
