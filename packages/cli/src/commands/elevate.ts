import type { Command } from "commander";
import { deviceLogin, loginHost } from "../device-login.js";
import { UsageError } from "../failure.js";
import type { RuntimeOf } from "../runtime.js";
import { openBrowser, saveChecked } from "./login.js";

const MAX_SECONDS = 3600;

/** "15m", "1h", "90s" as seconds; at most an hour. */
export function elevationSeconds(value: string): number {
  const match = /^(\d{1,5})([smh])$/.exec(value);
  if (!match) throw new UsageError("--for: give a duration like 15m, 1h or 90s");
  const seconds = Number(match[1]) * (match[2] === "h" ? 3600 : match[2] === "m" ? 60 : 1);
  if (seconds < 60 || seconds > MAX_SECONDS) throw new UsageError("--for: an elevation lasts from one minute to one hour");
  return seconds;
}

/** `elevate`: a short-lived token of a stronger role, approved by a person in the console, with a reason. */
export function elevateCommand(program: Command, runtimeOf: RuntimeOf): void {
  program
    .command("elevate")
    .description("Ask for a token of a stronger role for up to an hour; a person approves it in the console")
    .requiredOption("--role <roleId>", "the role asked for (the approver picks the team or organisation and may choose another)")
    .requiredOption("--for <duration>", "how long: 15m, 1h (at most one hour)")
    .requiredOption("--reason <text>", "why: shown to the approver, kept in the token's description and the audit log")
    .option("--host <url>", "the Latchkey server (default: LATCHKEY_HOST or the current context's)")
    .option("--name <name>", "name of the context to save (default: elevated-<role>)")
    .option("--no-browser", "print the approval page instead of opening a browser (e.g. on a server)")
    .addHelpText("after", "\nNeeds: a person signed in to the console who may create tokens from the role.")
    .action(
      async (opts: { role: string; for: string; reason: string; host?: string; name?: string; browser: boolean }, command: Command) => {
        const rt = runtimeOf(command);
        const seconds = elevationSeconds(opts.for);
        const reason = opts.reason.trim();
        if (!reason || reason.length > 500) throw new UsageError("--reason: say why, in at most 500 characters");
        const host = loginHost(rt, opts.host);
        const token = await deviceLogin(rt, host, { requested_role: opts.role, requested_lifetime: seconds, reason }, (page, code) => {
          if (opts.browser) void openBrowser(page);
          rt.io.err(`Approve the elevation to role ${opts.role} for ${opts.for} at:\n  ${page}\n(code ${code})\n`);
        });
        await saveChecked(rt, host, token, opts.name ?? `elevated-${opts.role}`);
      },
    );
}
