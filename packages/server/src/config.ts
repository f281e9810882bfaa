import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { isIP } from "node:net";
import { resolve } from "node:path";
import { z } from "zod";

const Port = z
  .string()
  .regex(/^\d{1,5}$/, "must be a port number")
  .transform(Number)
  .pipe(z.number().int().min(0).max(65535));
const Url = z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, ""));
/** The fewest cores on which LATCHKEY_AUDIT_THREAD=auto starts the audit writer thread on SQLite. */
const THREAD_MIN_CORES = 4;

const MasterKey = z.string().refine((v) => Buffer.from(v, "base64").length === 32, "must be 32 random bytes, base64-encoded");

const Env = z.object({
  LATCHKEY_PORT: Port.default(8080),
  LATCHKEY_HOST: z.string().min(1).default("127.0.0.1"),
  LATCHKEY_DATA_DIR: z.string().min(1).default("./data"),
  LATCHKEY_DATABASE_URL: z
    .string()
    .regex(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, "must be sqlite:<path> or postgres://...")
    .optional(),
  LATCHKEY_PUBLIC_URL: Url.optional(),
  LATCHKEY_ISSUER: Url.optional(),
  LATCHKEY_BOOTSTRAP_EMAIL: z.email().optional(),
  LATCHKEY_BOOTSTRAP_PASSWORD: z.string().min(12, "must be at least 12 characters").optional(),
  LATCHKEY_MASTER_KEY: MasterKey.optional(),
  LATCHKEY_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  LATCHKEY_LOG_FORMAT: z.enum(["auto", "json", "pretty"]).default("auto"),
  LATCHKEY_SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(10_080).default(120),
  LATCHKEY_SESSION_MAX_HOURS: z.coerce.number().int().min(1).max(720).default(24),
  LATCHKEY_TOKEN_MAX_LIFETIME_DAYS: z.coerce.number().int().min(1).max(36_500).optional(),
  LATCHKEY_AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(365),
  LATCHKEY_CLI_LOGIN_MINUTES: z.coerce.number().int().min(1).max(60).default(10),
  LATCHKEY_CLI_LOGIN_MAX_PENDING: z.coerce.number().int().min(1).max(100_000).default(1000),
  LATCHKEY_CLI_LOGIN_MAX_PER_ADDRESS: z.coerce.number().int().min(1).max(100_000).default(20),
  LATCHKEY_CLI_LOGIN_INIT_SECONDS: z.coerce.number().int().min(1).max(60).default(10),
  LATCHKEY_EVENTS_HEARTBEAT_MS: z.coerce.number().int().min(10).max(600_000).default(15_000),
  LATCHKEY_AUDIT_BUFFER_MAX: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  LATCHKEY_AUDIT_THREAD: z.enum(["on", "off", "auto"]).default("auto"),
  LATCHKEY_AUDIT_DURABILITY: z.enum(["commit", "buffered"]).default("commit"),
  /** Lets webhooks point at loopback, private and link-local addresses (on-premise receivers, tests). */
  LATCHKEY_WEBHOOKS_ALLOW_PRIVATE: z.enum(["true", "false"]).default("false"),
  /** How often each process looks for tokens about to expire (token.expiring / token.expired webhooks). */
  LATCHKEY_WEBHOOKS_EXPIRY_SCAN_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  LATCHKEY_RATE_LIMIT_PER_HOUR: z.coerce.number().int().min(1).max(100_000_000).default(1000),
  LATCHKEY_RATE_LIMIT_MAX_PER_HOUR: z.coerce.number().int().min(1).max(100_000_000).optional(),
  LATCHKEY_AUTH_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).max(1_000_000).default(100),
  LATCHKEY_SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/[^\s]+$/, "must be smtp://[user:password@]host[:port] or smtps://...")
    .optional(),
  LATCHKEY_MAIL_FROM: z.string().min(3).max(320).optional(),
  LATCHKEY_TRUSTED_PROXIES: z.string().max(4096).optional(),
  LATCHKEY_METRICS_PORT: Port.optional(),
  LATCHKEY_GITHUB_SCANNING_KEYS_URL: Url.default("https://api.github.com/meta/public_keys/secret_scanning"),
  LATCHKEY_PUBLIC_REVOCATIONS_PER_ADDRESS: z.coerce.number().int().min(1).max(1_000_000).default(60),
});

/** The names of every variable the server reads. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(Env.shape);

/** Everything the server needs to know about its surroundings, parsed once at start-up. */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  database: { kind: "sqlite"; path: string } | { kind: "postgres"; url: string };
  publicUrl: string;
  /**
   * The token issuer the operator set (LATCHKEY_ISSUER); null keeps the one fixed at first start in the database
   * (tokens/issuer.ts), so that a new public URL or port does not invalidate tokens.
   */
  issuer: string | null;
  bootstrap: { email: string; password: string } | null;
  masterKey: Buffer;
  logLevel: z.infer<typeof Env>["LATCHKEY_LOG_LEVEL"];
  /** `auto`: pretty lines when stdout is a terminal, JSON lines otherwise; `json` or `pretty` always (lib/log-format.ts). */
  logFormat: z.infer<typeof Env>["LATCHKEY_LOG_FORMAT"];
  session: { idleMs: number; maxMs: number };
  /** The longest an API token may live; null allows tokens without expiry. */
  tokenMaxLifetimeMs: number | null;
  /**
   * `writerThread`: request events are hashed and written by a worker thread (compiled server only). "auto" (the
   * default) uses one on PostgreSQL, where the database server does the inserts and the thread takes the query
   * building off the event loop (1.5x the events a second here), and on SQLite only with 4 or more cores: on fewer,
   * the thread competes with the event loop for the same cores and the crossing (structured clone, a second
   * connection) costs more CPU than it moves (bench/audit.mjs).
   * `durability`: "commit" (the default) sends a token request's reply only once its event has committed, in a group
   * with the events of concurrent requests; "buffered" replies at once and writes the event within 250 ms, so a crash
   * loses the events still in the buffer.
   */
  audit: { retentionDays: number; bufferMax: number; writerThread: boolean; durability: "commit" | "buffered" };
  /**
   * Requests an API token may make per hour (a team's or organisation's own setting overrides it), the most such a
   * setting may allow (`maxPerHour`: the operator's ceiling, which no owner can lift), and failed authentications an
   * address may make per quarter hour before its requests are refused with 429.
   */
  rateLimit: { perHour: number; maxPerHour: number; authFailuresPerAddress: number };
  /** How long a CLI login's session token stays valid. */
  cliLoginMs: number;
  /**
   * Outgoing e-mail (invitations, address confirmations): through `smtpUrl`, or, when it is null, written to the
   * server's log for the operator to pass on (README: "E-mail").
   */
  mail: { smtpUrl: string | null; from: string };
  /**
   * Login sockets one process holds open (from connection to outcome, idle ones included), in total and per client
   * address (an IPv6 /64 counts as one), and how long a socket may stay silent before its `init`.
   */
  cliLoginLimits: { maxPending: number; maxPerAddress: number; initTimeoutMs: number };
  /**
   * Peers whose `X-Forwarded-For` is believed (CIDRs, `LATCHKEY_TRUSTED_PROXIES`; default none): a request from one of
   * them counts against its client's address (last-used IP, per-address failure limit), not the proxy's own.
   */
  trustedProxies: string[];
  /** Where Prometheus metrics are served (`GET /metrics`, on `host`), on a listener of their own; null: not served. */
  metricsPort: number | null;
  /**
   * Leaked tokens: where GitHub's secret scanning public keys are published, and how many public revocation requests
   * one address may make per quarter hour.
   */
  leaks: { githubKeysUrl: string; revocationsPerAddress: number };
  /** `allowPrivate`: webhook URLs may resolve to loopback, private or link-local addresses. */
  webhooks: { allowPrivate: boolean; expiryScanMs: number };
  /** How often `GET /v1/auth/events` sends a comment line to keep the stream (and proxies) awake. */
  eventsHeartbeatMs: number;
}

/** The ceiling when none is set: 100 times the default limit, and never below it. */
const DEFAULT_MAX_FACTOR = 100;

/** A configuration value that stops the process: names the variable and what is wrong with it. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

function masterKeyFile(dataDir: string): Buffer {
  const file = resolve(dataDir, "master.key");
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString("base64") + "\n", { mode: 0o600, flag: "wx" });
  }
  const key = Buffer.from(readFileSync(file, "utf8").trim(), "base64");
  if (key.length !== 32) throw new ConfigError(`${file} must hold 32 random bytes, base64-encoded`);
  return key;
}

/** `10.0.0.0/8, 192.168.1.7, ::1`: CIDRs (a bare address is a /32 or /128), checked here so that a typo stops the start. */
function parseCidrs(value: string | undefined): string[] {
  if (value === undefined || value.trim() === "") return [];
  return value.split(",").map((part) => {
    const cidr = part.trim();
    const [address = "", bits, extra] = cidr.split("/");
    const family = isIP(address);
    const max = family === 4 ? 32 : 128;
    const prefixOk = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= max);
    if (family === 0 || !prefixOk || extra !== undefined) {
      throw new ConfigError(`LATCHKEY_TRUSTED_PROXIES: ${JSON.stringify(cidr.slice(0, 64))} is not an IP address or CIDR`);
    }
    return cidr;
  });
}

/**
 * The environment without its empty variables: `LATCHKEY_X=` (as compose files and CI templates leave what they do
 * not fill in) means unset, for every variable, so the default applies.
 */
function withoutEmpty(env: Record<string, string | undefined>): Record<string, string> {
  const set: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined && value !== "") set[name] = value;
  return set;
}

/** Parses the environment (process.env by default) into a Config; throws ConfigError naming the bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = Env.safeParse(withoutEmpty(env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join("\n  ")}`);
  }
  const e = parsed.data;
  if ((e.LATCHKEY_BOOTSTRAP_EMAIL === undefined) !== (e.LATCHKEY_BOOTSTRAP_PASSWORD === undefined)) {
    throw new ConfigError("LATCHKEY_BOOTSTRAP_EMAIL and LATCHKEY_BOOTSTRAP_PASSWORD must be set together");
  }
  const perHour = e.LATCHKEY_RATE_LIMIT_PER_HOUR;
  const maxPerHour = e.LATCHKEY_RATE_LIMIT_MAX_PER_HOUR ?? Math.min(100_000_000, perHour * DEFAULT_MAX_FACTOR);
  if (maxPerHour < perHour) {
    throw new ConfigError(`LATCHKEY_RATE_LIMIT_MAX_PER_HOUR: must be at least LATCHKEY_RATE_LIMIT_PER_HOUR (${perHour})`);
  }
  const dataDir = resolve(e.LATCHKEY_DATA_DIR);
  const url = e.LATCHKEY_DATABASE_URL ?? `sqlite:${resolve(dataDir, "latchkey.db")}`;
  const database = url.startsWith("sqlite:")
    ? ({ kind: "sqlite", path: url.slice("sqlite:".length) } as const)
    : ({ kind: "postgres", url } as const);
  let masterKey: Buffer;
  if (e.LATCHKEY_MASTER_KEY) masterKey = Buffer.from(e.LATCHKEY_MASTER_KEY, "base64");
  else if (database.kind === "postgres") {
    throw new ConfigError("LATCHKEY_MASTER_KEY: required with PostgreSQL so that every process shares it");
  } else masterKey = masterKeyFile(dataDir);
  const publicUrl = e.LATCHKEY_PUBLIC_URL ?? `http://localhost:${e.LATCHKEY_PORT}`;
  return {
    port: e.LATCHKEY_PORT,
    host: e.LATCHKEY_HOST,
    dataDir,
    database,
    publicUrl,
    issuer: e.LATCHKEY_ISSUER ?? null,
    bootstrap:
      e.LATCHKEY_BOOTSTRAP_EMAIL && e.LATCHKEY_BOOTSTRAP_PASSWORD
        ? { email: e.LATCHKEY_BOOTSTRAP_EMAIL.toLowerCase(), password: e.LATCHKEY_BOOTSTRAP_PASSWORD }
        : null,
    masterKey,
    logLevel: e.LATCHKEY_LOG_LEVEL,
    logFormat: e.LATCHKEY_LOG_FORMAT,
    session: { idleMs: e.LATCHKEY_SESSION_IDLE_MINUTES * 60_000, maxMs: e.LATCHKEY_SESSION_MAX_HOURS * 3_600_000 },
    tokenMaxLifetimeMs: e.LATCHKEY_TOKEN_MAX_LIFETIME_DAYS === undefined ? null : e.LATCHKEY_TOKEN_MAX_LIFETIME_DAYS * 86_400_000,
    audit: {
      retentionDays: e.LATCHKEY_AUDIT_RETENTION_DAYS,
      bufferMax: e.LATCHKEY_AUDIT_BUFFER_MAX,
      writerThread:
        e.LATCHKEY_AUDIT_THREAD === "auto"
          ? database.kind === "postgres" || availableParallelism() >= THREAD_MIN_CORES
          : e.LATCHKEY_AUDIT_THREAD === "on",
      durability: e.LATCHKEY_AUDIT_DURABILITY,
    },
    rateLimit: { perHour, maxPerHour, authFailuresPerAddress: e.LATCHKEY_AUTH_FAILURES_PER_ADDRESS },
    cliLoginMs: e.LATCHKEY_CLI_LOGIN_MINUTES * 60_000,
    mail: { smtpUrl: e.LATCHKEY_SMTP_URL ?? null, from: e.LATCHKEY_MAIL_FROM ?? `Latchkey <latchkey@${new URL(publicUrl).hostname}>` },
    cliLoginLimits: {
      maxPending: e.LATCHKEY_CLI_LOGIN_MAX_PENDING,
      maxPerAddress: e.LATCHKEY_CLI_LOGIN_MAX_PER_ADDRESS,
      initTimeoutMs: e.LATCHKEY_CLI_LOGIN_INIT_SECONDS * 1000,
    },
    trustedProxies: parseCidrs(e.LATCHKEY_TRUSTED_PROXIES),
    metricsPort: e.LATCHKEY_METRICS_PORT ?? null,
    leaks: { githubKeysUrl: e.LATCHKEY_GITHUB_SCANNING_KEYS_URL, revocationsPerAddress: e.LATCHKEY_PUBLIC_REVOCATIONS_PER_ADDRESS },
    webhooks: {
      allowPrivate: e.LATCHKEY_WEBHOOKS_ALLOW_PRIVATE === "true",
      expiryScanMs: e.LATCHKEY_WEBHOOKS_EXPIRY_SCAN_SECONDS * 1000,
    },
    eventsHeartbeatMs: e.LATCHKEY_EVENTS_HEARTBEAT_MS,
  };
}
