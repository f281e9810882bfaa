import { CHANNEL, type ChangeEvent, type ChangeFeed } from "./change-feed.js";
import type { Db, Executor } from "./database.js";
import type { Dialect } from "./dialects/dialect.js";
import { createApisRepository } from "./repositories/apis.js";
import { createCliLoginsRepository } from "./repositories/cli-logins.js";
import { createDeviceAuthorizationsRepository } from "./repositories/device-authorizations.js";
import { createTrustPoliciesRepository } from "./repositories/trust-policies.js";
import { createInvitationsRepository } from "./repositories/invitations.js";
import { createMembersRepository } from "./repositories/members.js";
import { createMetaRepository } from "./repositories/meta.js";
import { createOrgsRepository } from "./repositories/orgs.js";
import { createProjectsRepository } from "./repositories/projects.js";
import { createRateLimitsRepository } from "./repositories/rate-limits.js";
import { createRolesRepository } from "./repositories/roles.js";
import { createSessionsRepository } from "./repositories/sessions.js";
import { createSigningKeysRepository } from "./repositories/signing-keys.js";
import { createTeamsRepository } from "./repositories/teams.js";
import { createTokensRepository } from "./repositories/tokens.js";
import { createUsersRepository } from "./repositories/users.js";
import { createWebhooksRepository } from "./repositories/webhooks.js";

/** Every repository, bound to one connection or transaction. */
function createRepositories(ex: Executor, dialect: Dialect) {
  return {
    /** The connection or transaction and its dialect, for repositories kept beside their feature (audit/repository.ts). */
    executor: { ex, dialect },
    /**
     * Serialises changes to one team's or organisation's members until the transaction ends (PostgreSQL row lock;
     * SQLite runs one write transaction at a time already).
     */
    lockEntity: (entityType: "team" | "org", entityId: string): Promise<void> =>
      dialect.lockRow(ex, entityType === "team" ? "teams" : "orgs", entityId),
    users: createUsersRepository(ex),
    sessions: createSessionsRepository(ex),
    orgs: createOrgsRepository(ex),
    teams: createTeamsRepository(ex),
    roles: createRolesRepository(ex),
    members: createMembersRepository(ex),
    projects: createProjectsRepository(ex),
    invitations: createInvitationsRepository(ex),
    meta: createMetaRepository(ex),
    signingKeys: createSigningKeysRepository(ex),
    tokens: createTokensRepository(ex),
    rateLimits: createRateLimitsRepository(ex),
    cliLogins: createCliLoginsRepository(ex),
    apis: createApisRepository(ex),
    trustPolicies: createTrustPoliciesRepository(ex),
    deviceAuthorizations: createDeviceAuthorizationsRepository(ex),
    webhooks: createWebhooksRepository(ex, dialect),
    /** Marks a deleted team's or organisation's id as used for good. */
    bury: (entityType: "team" | "org", entityId: string, at: string) =>
      ex
        .insertInto("tombstones")
        .values({ entity_type: entityType, entity_id: entityId, deleted_at: at })
        .onConflict((oc) => oc.doNothing())
        .execute(),
    isBuried: async (entityType: "team" | "org", entityId: string) =>
      (await ex
        .selectFrom("tombstones")
        .select("entity_id")
        .where("entity_type", "=", entityType)
        .where("entity_id", "=", entityId)
        .executeTakeFirst()) !== undefined,
    /** Serialises one-time work across processes until the transaction ends (PostgreSQL advisory lock). */
    advisoryLock: (name: string): Promise<void> => dialect.advisoryLock(ex, name),
  };
}

/** Repositories inside a transaction, plus `publish`: a change event delivered to every process once it commits. */
export type Repositories = ReturnType<typeof createRepositories> & { publish(event: ChangeEvent): Promise<void> };

/** The store: repositories on the pool, and `transaction` to run work on repositories bound to one transaction. */
export interface Store extends Repositories {
  db: Db;
  feed: ChangeFeed;
  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T>;
}

/** A change event as NOTIFY carries it, with the time it was sent (`at`, ms) for the change feed's lag metric. */
const payloadOf = (event: ChangeEvent): string => JSON.stringify({ ...event, at: Date.now() });

/**
 * Builds the store over an open database and its change feed. On PostgreSQL an event is a NOTIFY inside the
 * transaction (other processes see it exactly when the change commits); this process applies it right after commit.
 */
export function createStore(db: Db, feed: ChangeFeed): Store {
  const withPublish = (ex: Executor, events: ChangeEvent[]): Repositories => ({
    ...createRepositories(ex, db.dialect),
    async publish(event) {
      events.push(event);
      await db.dialect.notify(ex, CHANNEL, payloadOf(event));
    },
  });
  return {
    ...withPublish(db.kysely, []),
    // Outside a transaction an event is delivered at once (the single statement has already committed).
    async publish(event) {
      await db.dialect.notify(db.kysely, CHANNEL, payloadOf(event));
      feed.emit(event);
    },
    db,
    feed,
    async transaction(work) {
      const events: ChangeEvent[] = [];
      const result = await db.transaction((trx) => work(withPublish(trx, events)));
      for (const event of events) feed.emit(event);
      return result;
    },
  };
}
