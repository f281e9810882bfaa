import type { Config } from "./config.js";
import { createAccountService } from "./services/accounts.js";
import { createMemberService } from "./services/members.js";
import { createOrgService } from "./services/orgs.js";
import { createProjectService } from "./services/projects.js";
import { createRoleService } from "./services/roles.js";
import { createSessionService } from "./services/sessions.js";
import { createTeamService } from "./services/teams.js";
import { createThrottle } from "./services/throttle.js";
import type { Store } from "./store/store.js";

/** Every service, built once per process over one store. */
export function createServices(config: Config, store: Store, now: () => Date = () => new Date()) {
  const deps = { store, config, now };
  return {
    config,
    store,
    sessions: createSessionService({ ...deps, throttle: createThrottle({ max: 10, windowMs: 15 * 60_000 }) }),
    accounts: createAccountService(deps),
    orgs: createOrgService(deps),
    teams: createTeamService(deps),
    roles: createRoleService(deps),
    members: createMemberService(deps),
    projects: createProjectService(deps),
  };
}

export type Services = ReturnType<typeof createServices>;
