/**
 * Support for the crash, shutdown and backup tests: token load from many clients whose every answered request can be
 * found again in the token's audit feed (each request carries a user agent of its own, which the event stores), and
 * the whole feed read back as JSON lines.
 */
import type { Api } from "./support.js";

/** What a load run saw: the user agents of the requests answered 2xx, and the other outcomes counted. */
export interface LoadResult {
  answered: Set<string>;
  other: Map<string, number>;
  sent: number;
}

/**
 * `clients` loops each calling GET /v1/projects with `token` until `stop()`; a reply counts as answered 2xx as soon
 * as its status line has arrived (the server has sent it). Errors (a killed server) end that client's loop.
 */
export function startLoad(baseUrl: string, token: string, clients: number, tag: string) {
  const result: LoadResult = { answered: new Set(), other: new Map(), sent: 0 };
  let stopped = false;
  const count = (key: string) => result.other.set(key, (result.other.get(key) ?? 0) + 1);
  const loop = async (client: number) => {
    for (let n = 0; !stopped; n++) {
      const agent = `${tag}/${client}/${n}`;
      result.sent++;
      let response: Response;
      try {
        response = await fetch(`${baseUrl}/v1/projects`, { headers: { authorization: `Bearer ${token}`, "user-agent": agent } });
      } catch {
        count("network error");
        return;
      }
      if (response.status >= 200 && response.status < 300) result.answered.add(agent);
      else count(String(response.status));
      await response.arrayBuffer().catch(() => undefined);
    }
  };
  const running = Promise.all(Array.from({ length: clients }, (_, i) => loop(i)));
  return {
    result,
    /** Ends the loops and waits for them (after a kill, every pending request fails at once). */
    async stop(): Promise<LoadResult> {
      stopped = true;
      await running;
      return result;
    },
  };
}

/** Every event of a feed (`path` ends in /audit-logs), as JSON lines read through the export. */
export async function exportFeed(owner: Api, path: string): Promise<{ userAgent: string; status: number; eventType: string }[]> {
  const headers: Record<string, string> = {};
  if (owner.auth.cookie) headers["cookie"] = owner.auth.cookie;
  const response = await fetch(`${owner.baseUrl}${path}?format=jsonl`, { headers });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`export ${path}: ${response.status} ${text}`);
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { userAgent: string; status: number; eventType: string });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits until `result` holds `answered` 2xx replies, or `capMs` has passed (a busy machine serves slowly). */
export async function loadFor(result: LoadResult, answered: number, capMs: number): Promise<void> {
  const deadline = performance.now() + capMs;
  while (result.answered.size < answered && performance.now() < deadline) await sleep(20);
}
