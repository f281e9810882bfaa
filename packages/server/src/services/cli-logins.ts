import { hkdfSync } from "node:crypto";
import { DomainError, type CliLoginServerMessage } from "@latchkey/core";
import type { Config } from "../config.js";
import type { ChangeEvent } from "../store/change-feed.js";
import type { Store } from "../store/store.js";
import type { Principal } from "../access/principal.js";
import { open, seal } from "../lib/sealed.js";
import { randomSecret, sha256 } from "../lib/secrets.js";
import type { TokenService } from "./tokens.js";
import { refuseTokens, type Entity } from "../access/access.js";

/** What the waiting CLI is sent once the login ends. */
export type CliLoginOutcome = Exclude<CliLoginServerMessage, { type: "init-ack" }>;

/** Fields of `POST /v1/cli-login/approve` after parsing. */
export interface CliLoginApproval {
  sessionToken: string;
  teamId?: string | undefined;
  orgId?: string | undefined;
  roleId: string;
  name: string;
  description: string;
  expiresAt?: string | null | undefined;
}

const GONE = "this CLI login is unknown, already used or expired";
const DENIED = "the login was denied in the browser";
/** While the change feed is down, waiting sockets look at the database this often instead. */
const POLL_MS = 2000;

/** The approved token is sealed under a key only the session token gives: a copy of the table alone reveals nothing. */
const sealKey = (sessionToken: string): Buffer => Buffer.from(hkdfSync("sha256", sessionToken, "", "latchkey cli-login token", 32));

/**
 * CLI logins: a socket starts one and waits; a signed-in person approves it (a token is created exactly as
 * `POST .../tokens` would) or denies it, maybe on another process; the waiting socket's process learns of it through
 * the change feed and hands the token to that socket alone.
 */
export function createCliLoginService(deps: { store: Store; config: Config; tokens: TokenService; now: () => Date }) {
  const { store, config, tokens, now } = deps;
  const waiters = new Map<string, () => void>();
  const wakeAll = () => {
    for (const wake of waiters.values()) wake();
  };
  const unsubscribe = store.feed.subscribe((event: ChangeEvent) => {
    if (event.t === "cli-login") waiters.get(event.id)?.();
    else if (event.t === "resync") wakeAll();
  });
  const poll = setInterval(() => {
    if (!store.feed.healthy()) wakeAll();
  }, POLL_MS);
  poll.unref();

  const claimOrGone = async (sessionToken: string, to: "claimed" | "denied"): Promise<string> => {
    const idHash = sha256(sessionToken);
    const message = to === "denied" ? DENIED : null;
    if (!(await store.cliLogins.claim(idHash, now().toISOString(), to, message))) throw new DomainError("NOT_FOUND", GONE);
    return idHash;
  };

  return {
    /**
     * A new pending login; the session token exists only in the reply (and the login page URL built from it).
     * `pairingCode`: what the CLI shows in its terminal, for the approval page to show too (null: it shows none).
     */
    async start(pairingCode: string | null = null): Promise<{ sessionToken: string; idHash: string; expiresInMs: number }> {
      const sessionToken = randomSecret(32);
      const idHash = sha256(sessionToken);
      const at = now();
      await store.cliLogins.insert({
        id_hash: idHash,
        status: "pending",
        created_at: at.toISOString(),
        expires_at: new Date(at.getTime() + config.cliLoginMs).toISOString(),
        context_name: null,
        sealed_token: null,
        message: null,
        pairing_code: pairingCode,
      });
      return { sessionToken, idHash, expiresInMs: config.cliLoginMs };
    },

    /** Creates the token for the waiting CLI from a team or organisation role the person may mint from. */
    async approve(principal: Principal, entity: Entity, input: CliLoginApproval) {
      const id = entity.id;
      const idHash = await claimOrGone(input.sessionToken, "claimed");
      let created: Awaited<ReturnType<TokenService["create"]>>;
      try {
        created = await tokens.create(principal, entity, input);
      } catch (error) {
        await store.cliLogins.release(idHash);
        throw error;
      }
      const sealed = seal(sealKey(input.sessionToken), Buffer.from(created.token));
      if (!(await store.cliLogins.approve(idHash, id, sealed))) {
        // The CLI stopped waiting while the token was made: nobody would ever receive it.
        await tokens.revoke(principal, entity, created.apiToken.id);
        throw new DomainError("CONFLICT", "the CLI stopped waiting for this login; start it again");
      }
      await store.publish({ t: "cli-login", id: idHash });
      return { contextName: id, apiToken: created.apiToken };
    },

    /**
     * What the approval page shows of a waiting login: the code its CLI shows (null when the client shows none) and
     * when it expires. Console session only; a login already used, denied or expired is not found.
     */
    async describe(principal: Principal, sessionToken: string): Promise<{ pairingCode: string | null; expiresAt: string }> {
      refuseTokens(principal, "approving a CLI login needs a signed-in person, not an API token");
      const row = await store.cliLogins.byIdHash(sha256(sessionToken));
      if (!row || row.status !== "pending" || row.expires_at <= now().toISOString()) throw new DomainError("NOT_FOUND", GONE);
      return { pairingCode: row.pairing_code, expiresAt: row.expires_at };
    },

    /** Refuses a pending login: the waiting CLI is told so. */
    async deny(sessionToken: string) {
      const idHash = await claimOrGone(sessionToken, "denied");
      await store.publish({ t: "cli-login", id: idHash });
      return { denied: true as const };
    },

    /** The outcome for the socket that holds the session token, once; null while the login is still pending. */
    async outcome(sessionToken: string): Promise<CliLoginOutcome | null> {
      const idHash = sha256(sessionToken);
      const row = await store.cliLogins.byIdHash(idHash);
      if (!row) return { type: "login-failure", message: GONE };
      if (row.status !== "approved" && row.status !== "denied") return null;
      if (!(await store.cliLogins.remove(idHash))) return null;
      if (row.status === "denied" || !row.sealed_token || !row.context_name)
        return { type: "login-failure", message: row.message ?? DENIED };
      const apiToken = open(sealKey(sessionToken), row.sealed_token).toString("utf8");
      return { type: "login-success", apiToken, contextName: row.context_name };
    },

    /** Calls `wake` whenever this login may have ended (feed event, feed resync, or a poll while the feed is down). */
    watch(idHash: string, wake: () => void): () => void {
      waiters.set(idHash, wake);
      return () => waiters.delete(idHash);
    },

    /** Forgets a login whose socket went away: a later approval finds nothing. */
    cancel: (idHash: string) => store.cliLogins.remove(idHash),

    /**
     * Ends a login to make room for a newer one, unless a person is approving it (claimed) or has approved it: those
     * are about to end anyway, and cutting one off would waste the approval. True when the login was ended.
     */
    displace: (idHash: string) => store.cliLogins.removePending(idHash),

    removeExpired: () => store.cliLogins.removeExpired(now().toISOString()),

    close(): void {
      clearInterval(poll);
      unsubscribe();
    },
  };
}

export type CliLoginService = ReturnType<typeof createCliLoginService>;
