/** The error envelope's fields, as every failed call of the API carries them. */
export interface ApiErrorBody {
  status: number;
  code: string;
  message: string;
  id: string;
  details?: Record<string, unknown>;
}

/** A failed API call: the HTTP status and the API's `{code, message, id, details}`; `NETWORK_ERROR` when nothing answered. */
export class LatchkeyError extends Error {
  readonly status: number;
  readonly code: string;
  /** The request id the server logged (`x-request-id`), for a report. */
  readonly id: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(body: ApiErrorBody) {
    super(body.message);
    this.name = "LatchkeyError";
    this.status = body.status;
    this.code = body.code;
    this.id = body.id;
    this.details = body.details;
  }
}

/** The pagination block of every list reply; `cursor` is absent on the last page. */
export interface Pagination {
  hasNextPage: boolean;
  count: number;
  cursor?: string;
}

/** One page of a list. */
export interface Page<T> {
  items: T[];
  pagination: Pagination;
}

/** Query string values; undefined ones are left out. */
export type Query = Record<string, string | number | boolean | undefined>;

/** How a client authenticates and reaches the server. */
export interface ClientOptions {
  /** The server's origin, e.g. `https://latchkey.example.com`; empty (the default) means the page's own origin. */
  baseUrl?: string;
  /** An API token: sent as `Authorization: Bearer`. */
  token?: string;
  /** The console session's CSRF token (from sign-in): sent as `x-csrf-token` on unsafe methods. */
  csrfToken?: string;
  /** Marks requests for the audit log as coming from the console or the CLI (`x-latchkey-origin`). */
  origin?: "ui" | "cli";
  /** Another fetch (tests, proxies); the global one by default. */
  fetch?: typeof fetch;
  /**
   * Keep the session cookie from `set-cookie` and send it back. Browsers do this themselves (the default there is
   * false); outside a browser the default is true, so a Node client can sign in like the console does.
   */
  keepCookies?: boolean;
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const SESSION_COOKIE = "latchkey_session";

/** Builds `path?query` from defined query values. */
export function withQuery(path: string, query: Query | undefined): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== "") params.set(key, String(value));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** The transport: credentials, the envelope, errors and pagination. Resource methods are built on it. */
export class HttpClient {
  readonly baseUrl: string;
  token: string | undefined;
  csrfToken: string | undefined;
  private readonly origin: "ui" | "cli" | undefined;
  private readonly fetchImpl: typeof fetch;
  private readonly keepCookies: boolean;
  private cookie: string | undefined;

  constructor(options: ClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? "").replace(/\/+$/, "");
    this.token = options.token;
    this.csrfToken = options.csrfToken;
    this.origin = options.origin;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.keepCookies = options.keepCookies ?? typeof document === "undefined";
  }

  /** Sends one request and returns the reply's `data`; any other reply throws a LatchkeyError. */
  async request<T>(method: string, path: string, options: { query?: Query; body?: unknown } = {}): Promise<T> {
    const reply = await this.send(method, path, options);
    return (reply as { data: T }).data;
  }

  /** One page of a list: `key` is the plural under `data` (`apiTokens`, `roles`...). */
  async page<T>(path: string, key: string, query: Query = {}): Promise<Page<T>> {
    const reply = (await this.send("GET", path, { query })) as { data: Record<string, T[]>; pagination: Pagination };
    return { items: reply.data[key] ?? [], pagination: reply.pagination };
  }

  /** Every item of a list, page after page, following `cursor` until the last page. */
  async *paginate<T>(path: string, key: string, query: Query = {}): AsyncGenerator<T> {
    let cursor: string | undefined;
    do {
      const page = await this.page<T>(path, key, { ...query, ...(cursor ? { cursor } : {}) });
      yield* page.items;
      cursor = page.pagination.hasNextPage ? page.pagination.cursor : undefined;
    } while (cursor);
  }

  /** Every item of a list, collected (stops at `limit` items). */
  async all<T>(path: string, key: string, query: Query = {}, limit = 10_000): Promise<T[]> {
    const items: T[] = [];
    for await (const item of this.paginate<T>(path, key, { per_page: 100, ...query })) {
      items.push(item);
      if (items.length >= limit) break;
    }
    return items;
  }

  private async send(method: string, path: string, options: { query?: Query; body?: unknown }): Promise<unknown> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (options.body !== undefined) headers["content-type"] = "application/json";
    if (this.token) headers["authorization"] = `Bearer ${this.token}`;
    if (this.csrfToken && UNSAFE.has(method)) headers["x-csrf-token"] = this.csrfToken;
    if (this.origin) headers["x-latchkey-origin"] = this.origin;
    if (this.keepCookies && this.cookie) headers["cookie"] = this.cookie;
    let response: Response;
    try {
      response = await this.fetchImpl(this.baseUrl + withQuery(path, options.query), {
        method,
        headers,
        credentials: "same-origin",
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      });
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new LatchkeyError({ status: 0, code: "NETWORK_ERROR", message: `the server did not answer: ${why}`, id: "" });
    }
    if (this.keepCookies) this.rememberCookie(response);
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = undefined;
    }
    const error = (body as { error?: ApiErrorBody } | undefined)?.error;
    if (response.status !== 200 || error || body === undefined) {
      throw new LatchkeyError(
        error ?? {
          status: response.status,
          code: "UNEXPECTED_REPLY",
          message: `unexpected reply ${response.status} ${response.statusText}`.trim(),
          id: response.headers.get("x-request-id") ?? "",
        },
      );
    }
    return body;
  }

  private rememberCookie(response: Response): void {
    const headers = response.headers as Headers & { getSetCookie?: () => string[] };
    for (const line of headers.getSetCookie?.() ?? []) {
      const [pair = ""] = line.split(";");
      const eq = pair.indexOf("=");
      if (pair.slice(0, eq).trim() !== SESSION_COOKIE) continue;
      const value = pair.slice(eq + 1).trim();
      this.cookie = value ? `${SESSION_COOKIE}=${value}` : undefined;
    }
  }
}
