import { expect } from "vitest";
import type { Client } from "./harness.js";

/**
 * Reads a list page by page from `url` (which names its `per_page`), checking the paging contract on every page: 200,
 * `count` the page's length, and no cursor on the last page. Returns the items of every page in order, and how many
 * pages there were; a list that does not end within `maxPages` fails.
 */
export async function everyPage<T>(client: Client, url: string, list: string, maxPages = 50): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const res = await client.get(cursor === undefined ? url : `${url}&cursor=${cursor}`);
    expect(res.status, res.raw).toBe(200);
    const page = (res.body.data as Record<string, T[] | undefined>)[list] ?? [];
    expect(res.body.pagination?.count).toBe(page.length);
    items.push(...page);
    cursor = res.body.pagination?.cursor;
    if (!res.body.pagination?.hasNextPage) expect(res.body.pagination).not.toHaveProperty("cursor");
    pages++;
  } while (cursor !== undefined && pages < maxPages);
  expect(cursor, `${url} did not end within ${maxPages} pages`).toBeUndefined();
  return { items, pages };
}
