import { ApiError, TransportError } from "./errors.js";

/** The pagination block of a list reply; `cursor` is absent on the last page. */
export interface Pagination {
  hasNextPage: boolean;
  count: number;
  cursor?: string;
}

/** A successful reply: `data`, and `pagination` for lists. */
export interface Success<T> {
  data: T;
  pagination?: Pagination;
}

type Query = Record<string, string | number | boolean | undefined>;

/** How a client reaches the API. */
export interface ClientOptions {
  /** Base URL of the server, e.g. `https://latchkey.example.com`. */
  host: string;
  /** An API token; without one only public routes answer. */
  token?: string;
  /** Sent as `x-latchkey-origin`, which the audit log records (`cli`, `ui`; anything else counts as `api`). */
  origin?: "cli" | "ui";
  userAgent?: string;
  fetch?: typeof fetch;
}

/** Normalises a host given by a person: adds `https://` when no scheme is given and drops trailing slashes. */
export function normalizeHost(host: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(host) ? host : `https://${host}`;
  const url = new URL(withScheme);
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new TypeError(`host must be http(s): ${host}`);
  return `${url.origin}${url.pathname}`.replace(/\/+$/, "");
}

/** Creates a client of the Latchkey HTTP API: every method resolves to `{data, pagination?}` or throws ApiError. */
export function createClient(options: ClientOptions) {
  const host = normalizeHost(options.host);
  const doFetch = options.fetch ?? fetch;

  async function request<T>(method: string, path: string, init: { query?: Query; body?: unknown } = {}): Promise<Success<T>> {
    const url = new URL(`${host}${path}`);
    for (const [key, value] of Object.entries(init.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { accept: "application/json" };
    if (options.token) headers["authorization"] = `Bearer ${options.token}`;
    if (options.origin) headers["x-latchkey-origin"] = options.origin;
    if (options.userAgent) headers["user-agent"] = options.userAgent;
    if (init.body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await doFetch(url, { method, headers, ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }) });
    } catch (error) {
      const why = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
      throw new TransportError(`cannot reach ${host}: ${why}`, { cause: error });
    }
    const text = await response.text();
    let body: {
      data?: T;
      pagination?: Pagination;
      error?: { code?: string; message?: string; id?: string; details?: Record<string, unknown> };
    };
    try {
      body = text ? (JSON.parse(text) as typeof body) : {};
    } catch {
      throw new TransportError(`${host} answered ${response.status} with something that is not the Latchkey API`);
    }
    if (response.status !== 200 || body.error) {
      const e = body.error ?? {};
      throw new ApiError(response.status, e.code ?? "UNKNOWN", e.message ?? `HTTP ${response.status}`, e.id, e.details);
    }
    return { data: body.data as T, ...(body.pagination ? { pagination: body.pagination } : {}) };
  }

  return {
    host,
    request,
    get: <T>(path: string, query?: Query) => request<T>("GET", path, query ? { query } : {}),
    post: <T>(path: string, body: unknown = {}) => request<T>("POST", path, { body }),
    patch: <T>(path: string, body: unknown) => request<T>("PATCH", path, { body }),
    delete: <T>(path: string) => request<T>("DELETE", path),
    /** Every item of a list, page after page (`key` is the plural under `data`), up to `limit` items. */
    async list<T>(path: string, key: string, query: Query = {}, limit = Infinity): Promise<T[]> {
      const items: T[] = [];
      let cursor: string | undefined;
      do {
        const page = await request<Record<string, T[]>>("GET", path, { query: { ...query, per_page: 100, cursor } });
        items.push(...(page.data[key] ?? []));
        cursor = page.pagination?.hasNextPage ? page.pagination.cursor : undefined;
      } while (cursor && items.length < limit);
      return items.slice(0, limit);
    },
  };
}

/** A client made by `createClient`. */
export type Client = ReturnType<typeof createClient>;
