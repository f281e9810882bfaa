import type { Page, Query } from "../http.js";

/**
 * What a resource file may use of LatchkeyClient's transport: requests by path, and the session's CSRF token. Only
 * LatchkeyClient makes one (from its protected methods), so programs still never build a path by hand.
 */
export interface Transport {
  request<T>(method: string, path: string, options?: { query?: Query; body?: unknown }): Promise<T>;
  page<T>(path: string, key: string, query?: Query): Promise<Page<T>>;
  all<T>(path: string, key: string, query?: Query, limit?: number): Promise<T[]>;
  /** Keeps a session's CSRF token on the client (undefined once signed out). */
  keepCsrfToken(token: string | undefined): void;
}

// These two shapes are spelled through `typeof`, not as aliases of type literals: an alias is a name, and a program whose
// own declarations infer a resource (`export const tokens = client.tokens(team)`) would have to import it from this
// file, which the package's `exports` hides (TS2742). `typeof` leaves the bare shape, which such a program writes out.
// The resource types (`TokensApi`...) are `ReturnType`s for the same reason; `npm run sdk:pack-check` tries it.
declare const _pageOptions: { perPage?: number; /** @deprecated use perPage */ per_page?: number; cursor?: string };
declare const _deleted: { id: string; deleted: true };

/** A page of a list: `perPage` items (1 to 100, 50 by default) after `cursor`; `per_page` is its deprecated spelling. */
export type PageOptions = typeof _pageOptions;
/** The reply to deleting something. */
export type Deleted = typeof _deleted;
