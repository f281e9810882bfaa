import { grantsOfUser } from "../access/access.js";
import type { Principal } from "../access/principal.js";
import type { Store } from "../store/store.js";

/** A signed-in person as the services see them: their grants read from the store now, no token, no scope. */
export async function sessionPrincipal(store: Store, userId: string, email: string): Promise<Principal> {
  return { kind: "session", userId, email, tokenId: null, grants: await grantsOfUser(store, userId), scope: null };
}
