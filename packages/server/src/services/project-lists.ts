import type { ChangeEvent } from "../store/change-feed.js";
import type { Page } from "../store/pagination.js";
import type { ProjectRow } from "../store/repositories/projects.js";
import type { Store } from "../store/store.js";

const MAX_ENTRIES = 10_000;

/**
 * First pages of teams' project lists, kept in memory where that is exact: with the embedded database every write
 * goes through this process, and the change feed drops a team's pages the moment a change to its projects commits.
 * A read that overlapped a change is not kept (the generation moved). With PostgreSQL other processes write too, and
 * a list must show a project created a millisecond ago on another process: there every list reads the database.
 */
export function createProjectLists<T>(store: Store, toItem: (row: ProjectRow) => T) {
  const enabled = store.db.kind === "sqlite";
  /** Kept as the API shows them: a cached page is not mapped again on every request. */
  const pages = new Map<string, Page<T>>();
  let generation = 0;
  const keyOf = (teamId: string, perPage: number) => `${teamId}\u0000${perPage}`;

  const unsubscribe = store.feed.subscribe((event: ChangeEvent) => {
    generation++;
    if (event.t === "projects") {
      for (const key of pages.keys()) if (key.startsWith(`${event.teamId}\u0000`)) pages.delete(key);
    } else if (event.t === "resync") pages.clear();
  });

  return {
    /** The team's unfiltered first page of `perPage` projects. */
    async firstPage(teamId: string, perPage: number): Promise<Page<T>> {
      const key = keyOf(teamId, perPage);
      const known = enabled ? pages.get(key) : undefined;
      if (known) return known;
      const start = generation;
      const rows = await store.projects.page(teamId, { perPage });
      const items = rows.items.map(toItem);
      const page = { ...rows, items, itemsJson: JSON.stringify(items) };
      if (enabled && generation === start) {
        if (pages.size >= MAX_ENTRIES) pages.delete(pages.keys().next().value ?? "");
        pages.set(key, page);
      }
      return page;
    },
    close: unsubscribe,
  };
}
