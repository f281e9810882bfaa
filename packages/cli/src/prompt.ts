import { Cancelled, UsageError } from "./failure.js";

/** Asks before something that cannot be undone, unless `--yes`; without a terminal to ask on, `--yes` is required. */
export async function confirm(question: string, yes: boolean): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY) throw new UsageError(`${question} Refusing without a terminal to ask on: pass --yes`);
  const { default: prompts } = await import("prompts");
  const { ok } = (await prompts({ type: "confirm", name: "ok", message: question, initial: false }, { onCancel: () => true })) as {
    ok?: boolean;
  };
  if (ok !== true) throw new Cancelled();
}

/** Reads a secret: a masked prompt on a terminal, else the first line of standard input. */
export async function readSecret(message: string): Promise<string> {
  if (process.stdin.isTTY) {
    const { default: prompts } = await import("prompts");
    const { value } = (await prompts({ type: "password", name: "value", message }, { onCancel: () => true })) as { value?: string };
    if (!value) throw new Cancelled();
    return value.trim();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > 64 * 1024) throw new UsageError("the token on standard input is too long");
  }
  const value = Buffer.concat(chunks).toString("utf8").split(/\r?\n/)[0]?.trim() ?? "";
  if (!value) throw new UsageError("no token given on standard input");
  return value;
}
