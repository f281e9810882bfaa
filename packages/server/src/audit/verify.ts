import type { AuditRepository } from "./repository.js";
import { createTimeSlicer, type TimeSlicer } from "../lib/time-slices.js";
import { expectedHash } from "./chain.js";

/** What a chain check found: `firstBrokenId` names the first event that does not follow from the one before it. */
export interface ChainCheck {
  ok: boolean;
  checked: number;
  firstBrokenId?: string;
}

/** Rows hashed between two looks at the clock: a look costs far more than a row's share of it. */
const ROWS_PER_LOOK = 128;

/**
 * Recomputes one feed's chain from its anchor up to its head as read now (events appended meanwhile belong to a
 * later check): every event must follow the one before it, hash its own fields, and the last must be the head.
 * Runs in slices (`slicer`): other requests are served between them, however long the feed.
 */
export async function verifyFeed(
  audit: Pick<AuditRepository, "head" | "chunk">,
  feed: string,
  slicer: TimeSlicer = createTimeSlicer(),
): Promise<ChainCheck> {
  const head = await audit.head(feed);
  if (!head) return { ok: true, checked: 0 };
  let seq = head.anchor_seq;
  let prev = head.anchor_hash;
  let checked = 0;
  for (;;) {
    await slicer.pause();
    const rows = await audit.chunk(feed, seq, 1000, head.seq);
    if (rows.length === 0) break;
    for (const row of rows) {
      checked++;
      if (row.seq !== seq + 1 || row.prev_hash !== prev || expectedHash(row) !== row.hash)
        return { ok: false, checked, firstBrokenId: row.id };
      seq = row.seq;
      prev = row.hash;
      if (checked % ROWS_PER_LOOK === 0 && slicer.due()) await slicer.turn();
    }
  }
  // Events cut from the end of the chain leave the head pointing past what is stored.
  if (seq !== head.seq || prev !== head.hash) return { ok: false, checked, firstBrokenId: `${feed}@${seq + 1}` };
  return { ok: true, checked };
}
