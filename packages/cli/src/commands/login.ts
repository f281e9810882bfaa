import { normalizeHost } from "@latchkey/sdk";
import { forgetContext } from "../contexts.js";
import { describeRestrictions } from "../restrictions.js";
import { Option, type Command } from "commander";
import { UsageError } from "../failure.js";
import { readSecret } from "../prompt.js";
import type { Runtime, RuntimeOf } from "../runtime.js";
import { deviceLogin } from "../device-login.js";

/**
 * Tries to open a page in the browser, best effort: whether a browser really showed it cannot be known, so the page
 * is always printed too. Only http(s) pages are ever opened.
 */
export async function openBrowser(url: string): Promise<void> {
  if (!/^https?:\/\//i.test(url)) return;
  try {
    const { default: open } = await import("open");
    const child = await open(url, { wait: false });
    child.once("error", () => undefined);
    child.unref();
  } catch {
    // No browser here: the printed page is the way.
  }
}

/** Checks a new token with `GET /v1/login`, then saves it as a context (and makes it the current one). */
export async function saveChecked(rt: Runtime, host: string, token: string, name: string | undefined): Promise<string> {
  const client = rt.clientFor(host, token);
  await client.login();
  const auth = await client.auth();
  const contextName = name ?? auth.entityId ?? new URL(host).host;
  const file = rt.contexts();
  file.contexts[contextName] = { host, token, entityType: auth.entityType, entityId: auth.entityId, savedAt: new Date().toISOString() };
  file.current = contextName;
  rt.saveContexts(file);
  const scope = auth.entityType ? `${auth.entityType} ${auth.entityId}` : "no team or organisation";
  rt.io.err(
    `Logged in to ${host} as token '${auth.name}' (${scope}, role ${auth.role?.id ?? "-"}); context '${contextName}' is now in use.\n`,
  );
  return contextName;
}

/** `login`, `logout` and `whoami`. */
export function loginCommands(program: Command, runtimeOf: RuntimeOf): void {
  program
    .command("login")
    .description("Log in through the browser (or with a token) and save the server and token as a context")
    .option("--host <url>", "the Latchkey server, e.g. https://latchkey.example.com (default: LATCHKEY_HOST or the current context's)")
    .option("--name <name>", "name of the context to save (default: the team or organisation id)")
    .option("--no-browser", "print the login page instead of opening a browser")
    .option("--device", "log in with a code another device approves (RFC 8628): for machines without a browser")
    .addOption(new Option("--token [token]", "store this API token instead of logging in through the browser (no value: prompt for it)"))
    .addHelpText("after", "\nNeeds: a person signed in to the console who may create tokens from the chosen role (browser login).")
    .action(async (opts: { host?: string; name?: string; browser: boolean; device?: boolean; token?: string | true }, command: Command) => {
      const rt = runtimeOf(command);
      const saved = rt.contexts();
      const given = opts.host ?? rt.env["LATCHKEY_HOST"] ?? (saved.current ? saved.contexts[saved.current]?.host : undefined);
      if (!given) throw new UsageError("give the server with --host URL");
      let host: string;
      try {
        host = normalizeHost(given);
      } catch {
        throw new UsageError(`--host is not a URL: ${given}`);
      }
      if (opts.token !== undefined) {
        const token = opts.token === true ? await readSecret("API token") : opts.token;
        await saveChecked(rt, host, token, opts.name);
        return;
      }
      if (opts.device) {
        const token = await deviceLogin(rt, host, {}, (page, code) =>
          rt.io.err(`To approve this login, open:\n  ${page}\nand check that it shows the code ${code}.\n`),
        );
        await saveChecked(rt, host, token, opts.name);
        return;
      }
      // Loaded only here: every other command starts faster without the WebSocket library.
      const { browserLogin } = await import("../login-socket.js");
      const aborter = new AbortController();
      const onInterrupt = () => aborter.abort();
      process.once("SIGINT", onInterrupt);
      try {
        const { apiToken, contextName } = await browserLogin(
          host,
          (page, code) => {
            if (opts.browser) void openBrowser(page);
            const lead = opts.browser
              ? "Opening the login page in your browser; if it does not open, visit"
              : "Open this page to approve the login";
            rt.io.err(
              `${lead}:\n  ${page}\nPairing code: ${code}\n` +
                "Approve only if the page shows this same code.\nWaiting for approval (Ctrl-C gives up)...\n",
            );
          },
          aborter.signal,
        );
        await saveChecked(rt, host, apiToken, opts.name ?? (contextName || undefined));
      } finally {
        process.off("SIGINT", onInterrupt);
      }
    });

  program
    .command("logout")
    .description("Forget the current context's token on this machine (revoke it on the server with `latchkey tokens revoke`)")
    .action((_opts: unknown, command: Command) => {
      const rt = runtimeOf(command);
      const file = rt.contexts();
      const name = command.optsWithGlobals<{ context?: string }>().context ?? file.current;
      if (!name || !file.contexts[name]) throw new UsageError("no context is in use: nothing to log out of");
      const next = forgetContext(file, name);
      rt.saveContexts(file);
      rt.io.err(`Logged out of context '${name}'.${next ? ` Now using context '${next}'.` : ""}\n`);
    });

  program
    .command("whoami")
    .description("Show what the current credential is and may do now (GET /v1/auth; needs only a valid token)")
    .action(async (_opts: unknown, command: Command) => {
      const rt = runtimeOf(command);
      const auth = await rt.auth();
      if (rt.format !== "table") return rt.print(auth);
      rt.print(auth, [
        ["token", (a) => `${a.name} (${a.id})`],
        ["team/org", (a) => (a.entityType ? `${a.entityType} ${a.entityId}` : "-")],
        ["role", (a) => (a.role ? `${a.role.id} (${a.role.type})` : "-")],
        ["created by", (a) => a.creatorEmail],
        ["expires", (a) => a.expiresAt ?? "never"],
        ["org permissions", (a) => a.permissions.orgScope.join(", ")],
        ["team permissions", (a) => a.permissions.teamScope.join(", ")],
        ["project permissions", (a) => a.permissions.projectScope.join(", ")],
        ["restrictions", (a) => describeRestrictions(a.restrictions)],
      ]);
    });
}
