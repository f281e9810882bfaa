import { createClock } from "./lib/clock.js";
import type { Config } from "./config.js";
import { createInProcessFeed } from "./store/change-feed.js";
import { openDatabase } from "./store/database.js";
import { createStore } from "./store/store.js";
import { createSigningKeys } from "./tokens/signing-keys.js";

/**
 * Makes a new signing key the active one. Tokens signed by older keys keep verifying; on PostgreSQL every running
 * process hears of the new key through the change feed (the NOTIFY is sent by the transaction that stores it).
 */
export async function rotateSigningKey(config: Config): Promise<string> {
  const db = await openDatabase(config.database);
  const feed = createInProcessFeed();
  try {
    const keys = createSigningKeys({ store: createStore(db, feed), masterKey: config.masterKey, now: createClock().now });
    await keys.init();
    return await keys.rotate();
  } finally {
    await feed.close();
    await db.close();
  }
}
