import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CONFIG_VARIABLES, ConfigError, loadConfig } from "./config.js";

const KEY = randomBytes(32).toString("base64");
const dirs: string[] = [];

/** A new empty directory, removed after the test. */
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "latchkey-config-"));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The ConfigError `loadConfig(env)` throws; fails the test when it throws nothing or something else. */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).name).toBe("ConfigError");
    return error as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe("loadConfig defaults", () => {
  it("works with nothing but a data directory: SQLite in it, a generated master key, laptop defaults", () => {
    const dataDir = tempDir();
    const config = loadConfig({ LATCHKEY_DATA_DIR: dataDir });
    expect(config).toMatchObject({
      port: 8080,
      host: "127.0.0.1",
      dataDir: resolve(dataDir),
      database: { kind: "sqlite", path: resolve(dataDir, "latchkey.db") },
      publicUrl: "http://localhost:8080",
      bootstrap: null,
      logLevel: "info",
      logFormat: "auto",
      session: { idleMs: 120 * 60_000, maxMs: 24 * 3_600_000 },
    });
    expect(config.masterKey).toHaveLength(32);
  });

  it("writes the generated master key into the data directory, readable by its owner only, and reuses it", () => {
    const dataDir = join(tempDir(), "not-yet-created");
    const first = loadConfig({ LATCHKEY_DATA_DIR: dataDir });
    const file = join(dataDir, "master.key");
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(file, "utf8").trim(), "base64").equals(first.masterKey)).toBe(true);
    const second = loadConfig({ LATCHKEY_DATA_DIR: dataDir });
    expect(second.masterKey.equals(first.masterKey)).toBe(true);
    // Another data directory, another key.
    expect(loadConfig({ LATCHKEY_DATA_DIR: tempDir() }).masterKey.equals(first.masterKey)).toBe(false);
  });

  it("uses LATCHKEY_MASTER_KEY when given and then writes no key file", () => {
    const dataDir = tempDir();
    const config = loadConfig({ LATCHKEY_DATA_DIR: dataDir, LATCHKEY_MASTER_KEY: KEY });
    expect(config.masterKey.equals(Buffer.from(KEY, "base64"))).toBe(true);
    expect(existsSync(join(dataDir, "master.key"))).toBe(false);
  });

  it("defaults the data directory to ./data, resolved", () => {
    const config = loadConfig({ LATCHKEY_MASTER_KEY: KEY });
    expect(config.dataDir).toBe(resolve("./data"));
    expect(config.database).toEqual({ kind: "sqlite", path: resolve("./data", "latchkey.db") });
  });

  it("refuses a master key file that does not hold 32 bytes, naming the file", () => {
    const dataDir = tempDir();
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, "master.key"), Buffer.from("short").toString("base64"));
    expect(configError({ LATCHKEY_DATA_DIR: dataDir }).message).toContain("master.key");
  });

  it("follows the port into the default public URL", () => {
    const config = loadConfig({ LATCHKEY_DATA_DIR: tempDir(), LATCHKEY_PORT: "9000", LATCHKEY_HOST: "0.0.0.0" });
    expect(config).toMatchObject({ port: 9000, host: "0.0.0.0", publicUrl: "http://localhost:9000" });
  });
});

describe("loadConfig values", () => {
  const base = (): Record<string, string> => ({ LATCHKEY_DATA_DIR: tempDir(), LATCHKEY_MASTER_KEY: KEY });

  it.each([
    ["https://keys.example.com", "https://keys.example.com"],
    ["https://keys.example.com/", "https://keys.example.com"],
    ["http://latchkey.test:8443/base//", "http://latchkey.test:8443/base"],
    ["http://localhost:3000", "http://localhost:3000"],
  ])("keeps public URL %s as %s", (given, expected) => {
    expect(loadConfig({ ...base(), LATCHKEY_PUBLIC_URL: given }).publicUrl).toBe(expected);
  });

  it.each([
    ["sqlite:/var/lib/latchkey/other.db", { kind: "sqlite", path: "/var/lib/latchkey/other.db" }],
    [
      "postgres://latchkey:secret@db.internal:5432/latchkey",
      { kind: "postgres", url: "postgres://latchkey:secret@db.internal:5432/latchkey" },
    ],
    ["postgresql://db.internal/latchkey", { kind: "postgres", url: "postgresql://db.internal/latchkey" }],
  ])("reads database URL %s", (given, expected) => {
    expect(loadConfig({ ...base(), LATCHKEY_DATABASE_URL: given }).database).toEqual(expected);
  });

  it("takes the bootstrap account when both halves are set, lower-casing the e-mail", () => {
    const config = loadConfig({
      ...base(),
      LATCHKEY_BOOTSTRAP_EMAIL: "Admin@Example.COM",
      LATCHKEY_BOOTSTRAP_PASSWORD: "a long enough password",
    });
    expect(config.bootstrap).toEqual({ email: "admin@example.com", password: "a long enough password" });
  });

  it("reads the log level and format and session lifetimes", () => {
    const config = loadConfig({
      ...base(),
      LATCHKEY_LOG_LEVEL: "debug",
      LATCHKEY_LOG_FORMAT: "json",
      LATCHKEY_SESSION_IDLE_MINUTES: "15",
      LATCHKEY_SESSION_MAX_HOURS: "8",
    });
    expect(config.logLevel).toBe("debug");
    expect(config.logFormat).toBe("json");
    expect(config.session).toEqual({ idleMs: 15 * 60_000, maxMs: 8 * 3_600_000 });
  });

  it("reads the trusted proxies as CIDRs (none unless told) and refuses anything else, naming the variable", () => {
    expect(loadConfig(base()).trustedProxies).toEqual([]);
    const set = { ...base(), LATCHKEY_TRUSTED_PROXIES: " 10.0.0.0/8, 192.168.1.7 ,::1, 2001:db8::/32" };
    expect(loadConfig(set).trustedProxies).toEqual(["10.0.0.0/8", "192.168.1.7", "::1", "2001:db8::/32"]);
    for (const value of ["10.0.0.0/33", "example.com", "10.0.0.0/8/1", "10.0.0.0/x", "::1/129", "10.0.0.0/8,"]) {
      expect(() => loadConfig({ ...base(), LATCHKEY_TRUSTED_PROXIES: value })).toThrow(/LATCHKEY_TRUSTED_PROXIES/);
    }
  });

  it("reads how long a CLI login waits (10 minutes unless told)", () => {
    expect(loadConfig(base()).cliLoginMs).toBe(10 * 60_000);
    expect(loadConfig({ ...base(), LATCHKEY_CLI_LOGIN_MINUTES: "3" }).cliLoginMs).toBe(3 * 60_000);
  });

  it("reads the CLI login caps and the silence allowed before init, and refuses nonsense", () => {
    expect(loadConfig(base()).cliLoginLimits).toEqual({ maxPending: 1000, maxPerAddress: 20, initTimeoutMs: 10_000 });
    const set = {
      ...base(),
      LATCHKEY_CLI_LOGIN_MAX_PENDING: "50",
      LATCHKEY_CLI_LOGIN_MAX_PER_ADDRESS: "3",
      LATCHKEY_CLI_LOGIN_INIT_SECONDS: "2",
    };
    expect(loadConfig(set).cliLoginLimits).toEqual({ maxPending: 50, maxPerAddress: 3, initTimeoutMs: 2000 });
    for (const [name, value] of [
      ["LATCHKEY_CLI_LOGIN_MAX_PENDING", "0"],
      ["LATCHKEY_CLI_LOGIN_MAX_PER_ADDRESS", "many"],
      ["LATCHKEY_CLI_LOGIN_INIT_SECONDS", "600"],
    ] as const) {
      expect(() => loadConfig({ ...base(), [name]: value })).toThrow(name);
    }
  });

  it("reads the rate limit and its ceiling: 100 times the limit unless told, never below the limit", () => {
    expect(loadConfig(base()).rateLimit).toMatchObject({ perHour: 1000, maxPerHour: 100_000 });
    expect(loadConfig({ ...base(), LATCHKEY_RATE_LIMIT_PER_HOUR: "5" }).rateLimit).toMatchObject({ perHour: 5, maxPerHour: 500 });
    expect(loadConfig({ ...base(), LATCHKEY_RATE_LIMIT_PER_HOUR: "90000000" }).rateLimit.maxPerHour).toBe(100_000_000);
    const told = loadConfig({ ...base(), LATCHKEY_RATE_LIMIT_PER_HOUR: "10", LATCHKEY_RATE_LIMIT_MAX_PER_HOUR: "10" });
    expect(told.rateLimit).toMatchObject({ perHour: 10, maxPerHour: 10 });
  });

  it("starts the audit writer thread when told, and by default on PostgreSQL, and on SQLite with 4 or more cores", () => {
    expect(loadConfig(base()).audit.writerThread).toBe(availableParallelism() >= 4);
    const postgres = { ...base(), LATCHKEY_DATABASE_URL: "postgres://db/latchkey", LATCHKEY_MASTER_KEY: KEY };
    expect(loadConfig(postgres).audit.writerThread).toBe(true);
    expect(loadConfig({ ...postgres, LATCHKEY_AUDIT_THREAD: "off" }).audit.writerThread).toBe(false);
    expect(loadConfig({ ...base(), LATCHKEY_AUDIT_THREAD: "auto" }).audit.writerThread).toBe(availableParallelism() >= 4);
    expect(loadConfig({ ...base(), LATCHKEY_AUDIT_THREAD: "on" }).audit.writerThread).toBe(true);
    expect(loadConfig({ ...base(), LATCHKEY_AUDIT_THREAD: "off" }).audit.writerThread).toBe(false);
  });

  it("accepts PostgreSQL with a master key", () => {
    const config = loadConfig({ ...base(), LATCHKEY_DATABASE_URL: "postgres://db/latchkey" });
    expect(config.database.kind).toBe("postgres");
    expect(config.masterKey.equals(Buffer.from(KEY, "base64"))).toBe(true);
  });
});

// A deliberate design change (issue #17): an empty variable used to be refused as an invalid value ("" was among the
// bad values below); it now means unset, for every variable, because compose files and CI templates leave the
// variables they do not fill in set but empty (`LATCHKEY_BOOTSTRAP_EMAIL=`).
describe("loadConfig reads an empty variable as unset", () => {
  it("starts with every variable set but empty, exactly as with none of them set", () => {
    const dataDir = tempDir();
    const empty: Record<string, string> = {
      LATCHKEY_DATA_DIR: dataDir,
      LATCHKEY_BOOTSTRAP_EMAIL: "",
      LATCHKEY_BOOTSTRAP_PASSWORD: "",
    };
    for (const name of CONFIG_VARIABLES) empty[name] ??= "";
    expect(CONFIG_VARIABLES.length).toBeGreaterThan(20);
    const fromEmpty = loadConfig(empty);
    const fromUnset = loadConfig({ LATCHKEY_DATA_DIR: dataDir });
    expect(fromEmpty).toEqual(fromUnset);
    expect(fromEmpty.bootstrap).toBeNull();
    expect(fromEmpty.port).toBe(8080);
  });

  it("an empty LATCHKEY_DATA_DIR is the default ./data", () => {
    expect(loadConfig({ LATCHKEY_DATA_DIR: "", LATCHKEY_MASTER_KEY: KEY }).dataDir).toBe(resolve("./data"));
  });

  it("a compose file's LATCHKEY_BOOTSTRAP_EMAIL= beside a set password still names the missing half", () => {
    const message = configError({
      LATCHKEY_DATA_DIR: tempDir(),
      LATCHKEY_MASTER_KEY: KEY,
      LATCHKEY_BOOTSTRAP_EMAIL: "",
      LATCHKEY_BOOTSTRAP_PASSWORD: "a long enough password",
    }).message;
    expect(message).toContain("must be set together");
  });
});

describe("loadConfig refuses bad values, naming the variable", () => {
  const base = (): Record<string, string> => ({ LATCHKEY_DATA_DIR: tempDir(), LATCHKEY_MASTER_KEY: KEY });

  it.each(["abc", "70000", "-1", "80.5", "8080x", " "])("LATCHKEY_PORT=%j", (port) => {
    expect(configError({ ...base(), LATCHKEY_PORT: port }).message).toContain("LATCHKEY_PORT");
  });

  it.each(["not a url", "ftp://files.example.com", "keys.example.com", "javascript:alert(1)"])("LATCHKEY_PUBLIC_URL=%j", (url) => {
    expect(configError({ ...base(), LATCHKEY_PUBLIC_URL: url }).message).toContain("LATCHKEY_PUBLIC_URL");
  });

  it.each(["mysql://db/latchkey", "sqlite:", "postgres://", "/var/lib/latchkey.db", "http://db:5432/x"])(
    "LATCHKEY_DATABASE_URL=%j",
    (url) => {
      expect(configError({ ...base(), LATCHKEY_DATABASE_URL: url }).message).toContain("LATCHKEY_DATABASE_URL");
    },
  );

  it("LATCHKEY_BOOTSTRAP_EMAIL without LATCHKEY_BOOTSTRAP_PASSWORD, and the reverse", () => {
    const noPassword = configError({ ...base(), LATCHKEY_BOOTSTRAP_EMAIL: "admin@example.com" }).message;
    expect(noPassword).toContain("LATCHKEY_BOOTSTRAP_EMAIL");
    expect(noPassword).toContain("LATCHKEY_BOOTSTRAP_PASSWORD");
    const noEmail = configError({ ...base(), LATCHKEY_BOOTSTRAP_PASSWORD: "a long enough password" }).message;
    expect(noEmail).toContain("LATCHKEY_BOOTSTRAP_EMAIL");
  });

  it("a bootstrap e-mail that is not one, and a password that is too short", () => {
    expect(
      configError({ ...base(), LATCHKEY_BOOTSTRAP_EMAIL: "not-an-email", LATCHKEY_BOOTSTRAP_PASSWORD: "a long enough password" }).message,
    ).toContain("LATCHKEY_BOOTSTRAP_EMAIL");
    expect(
      configError({ ...base(), LATCHKEY_BOOTSTRAP_EMAIL: "admin@example.com", LATCHKEY_BOOTSTRAP_PASSWORD: "short" }).message,
    ).toContain("LATCHKEY_BOOTSTRAP_PASSWORD");
  });

  it("PostgreSQL without LATCHKEY_MASTER_KEY, and writes no key file", () => {
    const dataDir = tempDir();
    const error = configError({ LATCHKEY_DATA_DIR: dataDir, LATCHKEY_DATABASE_URL: "postgres://db/latchkey" });
    expect(error.message).toContain("LATCHKEY_MASTER_KEY");
    expect(existsSync(join(dataDir, "master.key"))).toBe(false);
  });

  it.each([randomBytes(16).toString("base64"), randomBytes(33).toString("base64"), "not base64 at all"])(
    "LATCHKEY_MASTER_KEY=%j",
    (key) => {
      expect(configError({ LATCHKEY_DATA_DIR: tempDir(), LATCHKEY_MASTER_KEY: key }).message).toContain("LATCHKEY_MASTER_KEY");
    },
  );

  it.each([
    ["LATCHKEY_LOG_LEVEL", "verbose"],
    ["LATCHKEY_LOG_FORMAT", "colour"],
    ["LATCHKEY_SESSION_IDLE_MINUTES", "0"],
    ["LATCHKEY_CLI_LOGIN_MINUTES", "0"],
    ["LATCHKEY_CLI_LOGIN_MINUTES", "61"],
    ["LATCHKEY_SESSION_MAX_HOURS", "721"],
    ["LATCHKEY_AUDIT_THREAD", "yes"],
    ["LATCHKEY_RATE_LIMIT_MAX_PER_HOUR", "0"],
    ["LATCHKEY_RATE_LIMIT_MAX_PER_HOUR", "1.5"],
    ["LATCHKEY_RATE_LIMIT_MAX_PER_HOUR", "100000001"],
    // Below the default limit: every token without a setting of its own would already be over the ceiling.
    ["LATCHKEY_RATE_LIMIT_MAX_PER_HOUR", "999"],
  ])("%s=%j", (name, value) => {
    expect(configError({ ...base(), [name]: value }).message).toContain(name);
  });

  it("names every bad variable at once", () => {
    const message = configError({ ...base(), LATCHKEY_PORT: "abc", LATCHKEY_PUBLIC_URL: "nope" }).message;
    expect(message).toContain("LATCHKEY_PORT");
    expect(message).toContain("LATCHKEY_PUBLIC_URL");
  });
});
