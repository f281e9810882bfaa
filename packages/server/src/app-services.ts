import type { Config } from "./config.js";
import { createAccountService } from "./services/accounts.js";
import { createMemberService } from "./services/members.js";
import { createOrgService } from "./services/orgs.js";
import { createProjectService } from "./services/projects.js";
import { createRoleService } from "./services/roles.js";
import { createSessionService } from "./services/sessions.js";
import { createTeamService } from "./services/teams.js";
import { createThrottle } from "./services/throttle.js";
import { createTokenService } from "./services/tokens.js";
import type { Store } from "./store/store.js";
import { createLastUsed } from "./tokens/last-used.js";
import { createSigningKeys } from "./tokens/signing-keys.js";
import { createVerifier } from "./tokens/verifier.js";

/** Every service, built once per process over one store. Call `init` before serving and `close` after. */
export function createServices(
  config: Config,
  store: Store,
  now: () => Date = () => new Date(),
  onError: (error: unknown) => void = () => undefined,
) {
  const deps = { store, config, now };
  const keys = createSigningKeys({ store, masterKey: config.masterKey, now });
  const lastUsed = createLastUsed({ store, onError });
  const verifier = createVerifier({ ...deps, keys, lastUsed });
  const tokens = createTokenService({ ...deps, keys, lastUsed });
  return {
    config,
    store,
    keys,
    lastUsed,
    verifier,
    tokens,
    sessions: createSessionService({ ...deps, throttle: createThrottle({ max: 10, windowMs: 15 * 60_000 }) }),
    accounts: createAccountService(deps),
    orgs: createOrgService(deps),
    teams: createTeamService(deps),
    roles: createRoleService({
      ...deps,
      async onRoleChanged(tx, entity, roleId, deleted) {
        await tx.publish({ t: "role", entityType: entity.type, entityId: entity.id, roleId });
        if (deleted) await tokens.revokeRoleTokens(tx, entity, roleId);
      },
    }),
    members: createMemberService(deps),
    projects: createProjectService(deps),
    init: () => keys.init(),
    async close(): Promise<void> {
      verifier.close();
      await lastUsed.close();
    },
  };
}

export type Services = ReturnType<typeof createServices>;
