import { ApiError, TransportError } from "./errors.js";

/** The pagination block of a list reply; `cursor` is absent on the last page. */
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

/** How a LatchkeyClient authenticates and reaches the server. */
export interface LatchkeyClientOptions {
  /** The server's origin, e.g. `https://latchkey.example.com`; empty (the default) means the page's own origin. */
  baseUrl?: string;
  /** An API token: sent as `Authorization: Bearer`. */
  token?: string;
  /** The console session's CSRF token (from sign-in): sent as `x-csrf-token` on unsafe methods. */
  csrfToken?: string;
  /** Marks requests for the audit log as coming from the console or the CLI (`x-latchkey-origin`). */
  origin?: "ui" | "cli";
  /** Sent as `user-agent` (outside a browser, e.g. `latchkey-cli/0.1.0`). */
  userAgent?: string;
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

/**
 * The transport: credentials, the envelope, errors and pagination. Internal to the SDK: its path-taking methods are
 * protected, so that programs (the CLI, the console) call LatchkeyClient's typed resource methods and never build a
 * path by hand.
 */
export class HttpClient {
  readonly baseUrl: string;
  token: string | undefined;
  csrfToken: string | undefined;
  private readonly origin: "ui" | "cli" | undefined;
  private readonly userAgent: string | undefined;
  private readonly fetchImpl: typeof fetch;
  private readonly keepCookies: boolean;
  private cookie: string | undefined;

  constructor(options: LatchkeyClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? "").replace(/\/+$/, "");
    this.token = options.token;
    this.csrfToken = options.csrfToken;
    this.origin = options.origin;
    this.userAgent = options.userAgent;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.keepCookies = options.keepCookies ?? typeof document === "undefined";
  }

  /** Sends one request and returns the reply's `data`; an error reply throws ApiError, no reply TransportError. */
  protected async request<T>(method: string, path: string, options: { query?: Query; body?: unknown } = {}): Promise<T> {
    const reply = await this.send(method, path, options);
    return (reply as { data: T }).data;
  }

  /** The same for each method, by path: `data` of the reply. */
  protected get = <T>(path: string, query?: Query): Promise<T> => this.request<T>("GET", path, query ? { query } : {});
  protected post = <T>(path: string, body: unknown = {}): Promise<T> => this.request<T>("POST", path, { body });
  protected patch = <T>(path: string, body: unknown): Promise<T> => this.request<T>("PATCH", path, { body });
  protected delete = <T>(path: string): Promise<T> => this.request<T>("DELETE", path);

  /** One page of a list: `key` is the plural under `data` (`apiTokens`, `roles`...). */
  protected async page<T>(path: string, key: string, query: Query = {}): Promise<Page<T>> {
    const reply = (await this.send("GET", path, { query })) as { data: Record<string, T[]>; pagination: Pagination };
    return { items: reply.data[key] ?? [], pagination: reply.pagination };
  }

  /** Every item of a list, page after page, following `cursor` until the last page. */
  protected async *paginate<T>(path: string, key: string, query: Query = {}): AsyncGenerator<T> {
    let cursor: string | undefined;
    do {
      const page = await this.page<T>(path, key, { ...query, ...(cursor ? { cursor } : {}) });
      yield* page.items;
      cursor = page.pagination.hasNextPage ? page.pagination.cursor : undefined;
    } while (cursor);
  }

  /** Every item of a list, collected (stops at `limit` items: 10,000 unless told, `Infinity` for every one). */
  protected async all<T>(path: string, key: string, query: Query = {}, limit = 10_000): Promise<T[]> {
    const items: T[] = [];
    for await (const item of this.paginate<T>(path, key, { perPage: 100, ...query })) {
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
    if (this.userAgent) headers["user-agent"] = this.userAgent;
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
      const why = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
      throw new TransportError(`cannot reach ${this.baseUrl || "the server"}: ${why}`, { cause: error });
    }
    if (this.keepCookies) this.rememberCookie(response);
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = undefined;
    }
    if (body === undefined)
      throw new TransportError(`${this.baseUrl || "the server"} answered ${response.status} with something that is not the Latchkey API`);
    const error = (body as { error?: { code?: string; message?: string; id?: string; details?: Record<string, unknown> } }).error;
    if (response.status !== 200 || error) {
      const e = error ?? {};
      const id = e.id ?? response.headers.get("x-request-id") ?? undefined;
      throw new ApiError(response.status, e.code ?? "UNKNOWN", e.message ?? `HTTP ${response.status}`, id, e.details);
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
