import { LatchkeyClient, normalizeHost, type AuthInfo, type Entity } from "@latchkey/sdk";
import type { Command } from "commander";
import { configPath, readContexts, writeContexts, type Context, type ContextFile } from "./contexts.js";
import { Refused, UsageError } from "./failure.js";
import { outputFormat, render, type Column, type OutputFormat, type Style } from "./output.js";
import { confirm } from "./prompt.js";
import { VERSION } from "./version.js";

/** Options every command accepts. */
export interface GlobalOptions {
  output?: string;
  team?: string;
  org?: string;
  yes?: boolean;
  context?: string;
}

/** Where a command's output goes: results to `out` (stdout), notes and errors to `err` (stderr). */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Whether stdout is a terminal (a person reads it): human times and colour in tables. */
  tty?: boolean;
}

/** Human times on a terminal (or FORCE_COLOR), colour too unless NO_COLOR; plain when piped or not a table. */
function styleOf(format: OutputFormat, env: NodeJS.ProcessEnv, io: Io): Style {
  const forced = env["FORCE_COLOR"] !== undefined && env["FORCE_COLOR"] !== "0";
  const human = format === "table" && (io.tty === true || forced);
  const colour = human && !env["NO_COLOR"] && env["TERM"] !== "dumb";
  return { human, colour, nowMs: Date.now() };
}

/** A team or organisation that a command acts on (the SDK's, from core's schema). */
export type { Entity };

/** What one invocation works with: the environment, the saved contexts, the credential, and how to print. */
export function createRuntime(options: GlobalOptions, env: NodeJS.ProcessEnv, io: Io) {
  const path = configPath(env);
  const format: OutputFormat = outputFormat(options.output);
  const style = styleOf(format, env, io);

  const credential = () => {
    const file = readContexts(path);
    const name = options.context ?? file.current;
    const context: Context | null = name ? (file.contexts[name] ?? null) : null;
    if (options.context && !context) throw new UsageError(`no context named '${options.context}' (see: latchkey context list)`);
    const envToken = env["LATCHKEY_TOKEN"] || undefined;
    const host = env["LATCHKEY_HOST"] || context?.host;
    const token = envToken ?? context?.token;
    if (!token) throw new UsageError("not logged in: run `latchkey login --host URL`, or set LATCHKEY_TOKEN and LATCHKEY_HOST");
    if (!host) throw new UsageError("no server: set LATCHKEY_HOST or run `latchkey login --host URL`");
    // The saved entity describes the saved token only: an overriding token is asked about instead.
    const known =
      envToken === undefined && context?.entityType && context.entityId ? { type: context.entityType, id: context.entityId } : null;
    return { host, token, known };
  };

  // The typed client: commands call its resource methods and never build a path.
  let client: LatchkeyClient | undefined;
  let auth: Promise<AuthInfo> | undefined;
  const clientFor = (host: string, token?: string): LatchkeyClient =>
    new LatchkeyClient({
      baseUrl: normalizeHost(host),
      ...(token ? { token } : {}),
      origin: "cli",
      userAgent: `latchkey-cli/${VERSION}`,
      keepCookies: false,
    });

  return {
    env,
    io,
    format,
    style,
    yes: options.yes === true,
    contexts: (): ContextFile => readContexts(path),
    saveContexts: (file: ContextFile) => writeContexts(path, file),
    clientFor,

    /** The client of the current credential (LATCHKEY_TOKEN / LATCHKEY_HOST over the saved context). */
    client(): LatchkeyClient {
      if (!client) {
        const { host, token } = credential();
        client = clientFor(host, token);
      }
      return client;
    },

    /**
     * The team or organisation to act on: `--team` or `--org`, else the one the token belongs to (saved at login,
     * or asked of `GET /v1/auth`). `teamOnly` is for projects, which live in teams.
     */
    async entity(teamOnly = false): Promise<Entity> {
      if (options.team && options.org) throw new UsageError("give --team or --org, not both");
      if (options.team) return { type: "team", id: options.team };
      if (options.org) {
        if (teamOnly) throw new UsageError("projects belong to teams: choose one with --team ID");
        return { type: "org", id: options.org };
      }
      const { known } = credential();
      let entity = known;
      if (!entity) {
        const auth = await this.auth();
        if (!auth.entityType || !auth.entityId)
          throw new UsageError("this credential belongs to no team or organisation: use --team or --org");
        entity = { type: auth.entityType, id: auth.entityId };
      }
      if (teamOnly && entity.type === "org")
        throw new UsageError(`this is a token of organisation ${entity.id}: choose a team with --team ID`);
      return entity;
    },

    /** The team of `--team` or of the credential (projects live in teams). */
    async teamId(): Promise<string> {
      return (await this.entity(true)).id;
    },

    /** What the credential may do (`GET /v1/auth`), asked once per invocation. */
    auth(): Promise<AuthInfo> {
      auth ??= this.client().auth();
      return auth;
    },

    /**
     * Asks before a destructive action (unless --yes), but first checks that the credential holds `permission` at
     * all: a refusal the server would give is said before the question, not after it.
     */
    async confirmAs(permission: string, question: string): Promise<void> {
      if (options.yes === true) return;
      const info = await this.auth();
      const scope = permission.split(".")[0];
      const held =
        scope === "org" ? info.permissions.orgScope : scope === "team" ? info.permissions.teamScope : info.permissions.projectScope;
      if (info.tokenKind === "api" && !held.includes(permission)) {
        const role = info.role ? `role ${info.role.id}` : "no role";
        throw new Refused(`not allowed: this token (${role}) does not hold ${permission}, so the server would refuse; nothing was changed`);
      }
      await confirm(question, false);
    },

    print<T>(data: T | readonly T[], columns?: readonly Column<T>[]): void {
      io.out(render(format, data, columns, style));
    },
  };
}

export type Runtime = ReturnType<typeof createRuntime>;

/** The runtime of the command being run, from its options and its parents'. */
export type RuntimeOf = (command: Command) => Runtime;
