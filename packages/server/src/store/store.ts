import type { Db, Executor } from "./database.js";
import { createInvitationsRepository } from "./repositories/invitations.js";
import { createMembersRepository } from "./repositories/members.js";
import { createMetaRepository } from "./repositories/meta.js";
import { createOrgsRepository } from "./repositories/orgs.js";
import { createProjectsRepository } from "./repositories/projects.js";
import { createRolesRepository } from "./repositories/roles.js";
import { createSessionsRepository } from "./repositories/sessions.js";
import { createTeamsRepository } from "./repositories/teams.js";
import { createUsersRepository } from "./repositories/users.js";

/** Every repository, bound to one connection or transaction. */
export function createRepositories(ex: Executor) {
  return {
    users: createUsersRepository(ex),
    sessions: createSessionsRepository(ex),
    orgs: createOrgsRepository(ex),
    teams: createTeamsRepository(ex),
    roles: createRolesRepository(ex),
    members: createMembersRepository(ex),
    projects: createProjectsRepository(ex),
    invitations: createInvitationsRepository(ex),
    meta: createMetaRepository(ex),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;

/** The store: repositories on the pool, and `transaction` to run work on repositories bound to one transaction. */
export interface Store extends Repositories {
  db: Db;
  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T>;
}

/** Builds the store over an open database. */
export function createStore(db: Db): Store {
  return {
    ...createRepositories(db.kysely),
    db,
    transaction: (work) => db.transaction((trx) => work(createRepositories(trx))),
  };
}
