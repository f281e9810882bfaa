import { randomBytes } from "node:crypto";
import type { FastifyInstance, InjectOptions } from "fastify";
import { buildApp } from "../app.js";
import type { Services } from "../services/app-services.js";
import type { ListenerLimits } from "../http/limits.js";
import type { RouteDoc } from "../http/route.js";
import { loadConfig, type Config } from "../config.js";
import { freshDatabase, type DialectName } from "./databases.js";
import { createOutbox, type Outbox } from "./outbox.js";

export const OWNER_EMAIL = "owner@example.com";
export const OWNER_PASSWORD = "correct horse battery staple";

type Method = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

/** A reply as tests read it. */
export interface TestReply {
  status: number;
  body: {
    data?: unknown;
    error?: { status: number; code: string; message: string; id: string; details?: Record<string, unknown> };
    pagination?: { hasNextPage: boolean; count: number; cursor?: string };
  } & Record<string, unknown>;
  headers: Record<string, string | string[] | number | undefined>;
  raw: string;
}

/** Makes requests as one caller: anonymous, a console session (cookie and CSRF header), or a bearer token. */
export interface Client {
  request(method: Method, url: string, body?: unknown, headers?: Record<string, string>): Promise<TestReply>;
  get(url: string): Promise<TestReply>;
  post(url: string, body?: unknown): Promise<TestReply>;
  patch(url: string, body?: unknown): Promise<TestReply>;
  delete(url: string): Promise<TestReply>;
  /** `data` of a 200, or a thrown error that shows the reply. */
  ok<T = Record<string, unknown>>(method: Method, url: string, body?: unknown): Promise<T>;
  userId: string;
}

/** A server on a fresh database of one dialect, driven in-process with `inject`. */
export interface Harness {
  app: FastifyInstance;
  services: Services;
  routes: readonly RouteDoc[];
  config: Config;
  /** The port of the metrics listener (LATCHKEY_METRICS_PORT), or null. */
  metricsPort: number | null;
  /** Every e-mail the server sent. */
  outbox: Outbox;
  anon: Client;
  owner: Client;
  /** The one-time setup link an empty instance printed, or null. */
  setupUrl: string | null;
  /** Signs in as someone; the account must exist. */
  signIn(email: string, password: string): Promise<Client>;
  /** A new person, invited by `inviter` to a team or organisation with roles, who accepts and is signed in. */
  newMember(inviter: Client, path: string, roles: string[], email?: string, password?: string): Promise<Client>;
  /** Invites someone and accepts as them through the link sent to the address: a new account, or an existing one giving its password. */
  join(inviter: Client, path: string, roles: string[], email: string, password: string): Promise<void>;
  client(auth: { cookie?: string; csrf?: string; bearer?: string }, userId?: string): Client;
  close(): Promise<void>;
}

/**
 * Starts a harness; the bootstrap owner exists and is signed in as `owner`. With `bootstrap: false` the instance
 * starts empty (waiting for setup) and `owner` is anonymous.
 */
export async function startHarness(
  kind: DialectName,
  env: Record<string, string> = {},
  options: {
    bootstrap?: boolean;
    now?: () => Date;
    limits?: Partial<ListenerLimits>;
    logStream?: { write(line: string): void };
    /** Send e-mail as the configuration says (SMTP, or the log) instead of into `outbox`. */
    configuredMailer?: boolean;
  } = {},
): Promise<Harness> {
  const db = await freshDatabase(kind);
  const bootstrap =
    options.bootstrap === false ? {} : { LATCHKEY_BOOTSTRAP_EMAIL: OWNER_EMAIL, LATCHKEY_BOOTSTRAP_PASSWORD: OWNER_PASSWORD };
  const config = loadConfig({
    LATCHKEY_DATA_DIR: db.dataDir,
    LATCHKEY_DATABASE_URL: db.url,
    LATCHKEY_MASTER_KEY: randomBytes(32).toString("base64"),
    LATCHKEY_PUBLIC_URL: "http://latchkey.test",
    // Every injected request comes from 127.0.0.1: suites that send many bad tokens on purpose must not be cut off
    // by the per-address limit (rate-limits.test.ts sets its own).
    LATCHKEY_AUTH_FAILURES_PER_ADDRESS: "1000000",
    ...bootstrap,
    ...env,
  });
  const outbox = createOutbox();
  const { app, services, routes, metricsPort } = await buildApp(config, {
    checkReplies: true,
    ...(options.configuredMailer ? {} : { mailer: outbox }),
    ...(options.logStream ? { logStream: options.logStream } : { logger: false }),
    ...(options.now ? { now: options.now } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
  });
  const first = await services.accounts.bootstrap();

  const client = (auth: { cookie?: string; csrf?: string; bearer?: string }, userId = ""): Client => {
    const request = async (method: Method, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<TestReply> => {
      const h: Record<string, string> = { ...headers };
      if (auth.cookie) h["cookie"] = auth.cookie;
      if (auth.csrf && method !== "GET") h["x-csrf-token"] = auth.csrf;
      if (auth.bearer) h["authorization"] = `Bearer ${auth.bearer}`;
      const options: InjectOptions = { method, url, headers: h };
      if (body !== undefined) options.payload = body as InjectOptions["payload"];
      const res = await app.inject(options);
      let parsed: TestReply["body"] = {};
      try {
        parsed = JSON.parse(res.body) as TestReply["body"];
      } catch {
        parsed = {};
      }
      return { status: res.statusCode, body: parsed, headers: res.headers, raw: res.body };
    };
    return {
      userId,
      request,
      get: (url) => request("GET", url),
      post: (url, body) => request("POST", url, body ?? {}),
      patch: (url, body) => request("PATCH", url, body ?? {}),
      delete: (url) => request("DELETE", url),
      async ok<T>(method: Method, url: string, body?: unknown): Promise<T> {
        const res = await request(method, url, body ?? (method === "GET" || method === "DELETE" ? undefined : {}));
        if (res.status !== 200) throw new Error(`${method} ${url} -> ${res.status} ${res.raw}`);
        return res.body.data as T;
      },
    };
  };

  const signIn = async (email: string, password: string): Promise<Client> => {
    const res = await app.inject({ method: "POST", url: "/v1/session", payload: { email, password } });
    if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`);
    const cookie = res.cookies.find((c) => c.name === "latchkey_session");
    const data = (JSON.parse(res.body) as { data: { csrfToken: string; user: { id: string } } }).data;
    return client({ cookie: `latchkey_session=${cookie?.value ?? ""}`, csrf: data.csrfToken }, data.user.id);
  };

  /** Invites `email` with `roles` and accepts as them: a new account, or an existing one proving `password`. */
  const join = async (inviter: Client, path: string, roles: string[], email: string, password: string): Promise<void> => {
    await inviter.ok("POST", `${path}/members`, { email, roles });
    const res = await app.inject({
      method: "POST",
      url: "/v1/invitations/confirm",
      payload: { token: outbox.confirmTokenFor(email), name: email.split("@")[0], password },
    });
    if (res.statusCode !== 200) throw new Error(`accept failed: ${res.statusCode} ${res.body}`);
  };

  /** A new account that joined `path` with `roles`, signed in. */
  const newMember = async (
    inviter: Client,
    path: string,
    roles: string[],
    email = `p${randomBytes(4).toString("hex")}@example.com`,
    password = `pw-${randomBytes(8).toString("hex")}`,
  ): Promise<Client> => {
    await join(inviter, path, roles, email, password);
    return signIn(email, password);
  };

  return {
    app,
    services,
    routes,
    config,
    metricsPort,
    outbox,
    anon: client({}),
    owner: options.bootstrap === false ? client({}) : await signIn(OWNER_EMAIL, OWNER_PASSWORD),
    setupUrl: first && "setupUrl" in first ? first.setupUrl : null,
    signIn,
    join,
    newMember,
    client,
    close: async () => {
      await app.close();
      await db.drop();
    },
  };
}
