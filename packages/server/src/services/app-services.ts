import { createAuditBuffer } from "../audit/buffer.js";
import { createAuditWriter } from "../audit/writer.js";
import type { Config } from "../config.js";
import { createAuditService } from "../audit/service.js";
import { createAuditReadGate } from "../audit/reads.js";
import { createAccountService } from "./accounts.js";
import { createApiService } from "./apis.js";
import { createInvitationAcceptance } from "./invitation-acceptance.js";
import { createInvitationService } from "./invitations.js";
import type { Mailer } from "./mailer.js";
import { createCliLoginService } from "./cli-logins.js";
import { createMemberService } from "./members.js";
import { createOrgService } from "./orgs.js";
import { createProjectService } from "./projects.js";
import { createRateLimits } from "./rate-limits.js";
import { createRoleService } from "./roles.js";
import { createSessionService } from "./sessions.js";
import { createTeamService } from "./teams.js";
import { createThrottle } from "./throttle.js";
import { createTokenService } from "./tokens.js";
import { createTokenChecks } from "./token-checks.js";
import { createAuthEvents } from "./auth-events.js";
import { createTokenRevocation } from "./token-revocation.js";
import { withApis } from "../access/permission-names.js";
import { resolveApiPermissions } from "./api-scope.js";
import type { Store } from "../store/store.js";
import { createLastUsed } from "../tokens/last-used.js";
import { createSigningKeys } from "../tokens/signing-keys.js";
import { createVerifier } from "../tokens/verifier.js";

/** Every service, built once per process over one store. Call `init` before serving and `close` after. */
export function createServices(
  config: Config,
  store: Store,
  mailer: Mailer,
  clock?: () => Date,
  onError: (error: unknown) => void = () => undefined,
) {
  const now = clock ?? (() => new Date());
  // The hot path reads the time as a number: without a Date to make on every request, unless a test set the clock.
  const nowMs = clock ? () => clock().getTime() : Date.now;
  const buffer = createAuditBuffer({ writer: createAuditWriter(config, store), max: config.audit.bufferMax, onError });
  const auditReads = createAuditReadGate({ store, nowMs, onError });
  const audit = createAuditService({ store, config, buffer, gate: auditReads, now, nowMs });
  const deps = { store, config, now, record: audit.change };
  const keys = createSigningKeys({ store, masterKey: config.masterKey, now });
  const lastUsed = createLastUsed({ store, onError });
  const verifier = createVerifier({ store, config, nowMs, keys, lastUsed });
  const tokens = createTokenService({ ...deps, keys, lastUsed });
  const rateLimits = createRateLimits({ store, config, nowMs, onError });
  const projects = createProjectService(deps);
  const cliLogins = createCliLoginService({ store, config, tokens, now });
  // One throttle for every password check: sign-in, invitations to an existing account, password changes.
  const throttle = createThrottle({ store, max: 10, windowMs: 15 * 60_000, now, onError });
  const invitations = createInvitationService({ ...deps, mailer });
  // The doors for other services (forward auth, check, introspection): the catalogue's names and the custom APIs'.
  const names = withApis((scope, asked) => resolveApiPermissions(store, scope, asked));
  const checks = createTokenChecks({ store, verifier, rateLimits, audit, names });
  const authEvents = createAuthEvents(store);
  let pruning: NodeJS.Timeout | undefined;
  return {
    config,
    store,
    keys,
    lastUsed,
    verifier,
    checks,
    authEvents,
    revocation: createTokenRevocation({ store, verifier, tokens, now, record: audit.change }),
    tokens,
    rateLimits,
    throttle,
    cliLogins,
    sessions: createSessionService({ ...deps, throttle }),
    accounts: createAccountService(deps),
    mailer,
    invitations,
    acceptance: createInvitationAcceptance({ ...deps, throttle, invitations }),
    orgs: createOrgService(deps),
    teams: createTeamService(deps),
    roles: createRoleService({
      ...deps,
      async onRoleChanged(tx, entity, roleId, deleted) {
        await tx.publish({
          t: "role",
          entityType: entity.type,
          entityId: entity.id,
          roleId,
          ...(deleted ? { kind: "deleted" as const } : {}),
        });
        if (deleted) await tokens.revokeRoleTokens(tx, entity, roleId);
      },
    }),
    members: createMemberService({ ...deps, invitations }),
    projects,
    apis: createApiService(deps),
    audit,
    auditReads,
    async init(): Promise<void> {
      await keys.init();
      // Hourly housekeeping: audit events past retention, console sessions past their end, old rate windows.
      const housekeeping = async () => {
        await audit.prune();
        await store.sessions.removeExpired(now().toISOString());
        await rateLimits.prune();
        await cliLogins.removeExpired();
      };
      await housekeeping();
      pruning = setInterval(() => void housekeeping().catch(onError), 3_600_000);
      pruning.unref();
    },
    async close(): Promise<void> {
      if (pruning) clearInterval(pruning);
      verifier.close();
      checks.close();
      authEvents.close();
      projects.close();
      await rateLimits.close();
      await throttle.close();
      await auditReads.close();
      cliLogins.close();
      await lastUsed.close();
      await buffer.close();
      mailer.close();
    },
  };
}

export type Services = ReturnType<typeof createServices>;
