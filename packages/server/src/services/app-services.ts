import { createClock } from "../lib/clock.js";
import { createAuditBuffer } from "../audit/buffer.js";
import { createAuditWriter } from "../audit/writer.js";
import { measuredWriter } from "../audit/measured-writer.js";
import type { Metrics } from "../lib/metrics.js";
import { createPasswordChecks } from "../lib/passwords.js";
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
import { createTrustPolicyService } from "./trust-policies.js";
import { createTokenExchange } from "./token-exchange.js";
import { createOidcKeys } from "./oidc-keys.js";
import { createDeviceAuthorizationService } from "./device-authorizations.js";
import { announcingRecorder } from "./webhook-events.js";
import { createWebhookExpiry } from "./webhook-expiry.js";
import { createWebhookService } from "./webhooks.js";
import { createWebhookWorker } from "./webhook-worker.js";
import type { Store } from "../store/store.js";
import { createLastUsed } from "../tokens/last-used.js";
import { createSigningKeys } from "../tokens/signing-keys.js";
import { createVerifier } from "../tokens/verifier.js";
import { createGithubScanningKeys } from "./github-scanning-keys.js";
import { createLeakedTokens } from "./leaked-tokens.js";
import { createOrphanedTokens } from "./orphaned-tokens.js";
import { createIssuer } from "../tokens/issuer.js";
import { createMyAccess } from "./my-access.js";

/** Every service, built once per process over one store. Call `init` before serving and `close` after. */
export function createServices(
  config: Config,
  store: Store,
  mailer: Mailer,
  clock?: () => Date,
  onError: (error: unknown) => void = () => undefined,
  /** Prometheus metrics, when LATCHKEY_METRICS_PORT serves them: the audit writer's groups and commit times, password checks. */
  metrics: Metrics | null = null,
) {
  const time = createClock(clock);
  const { now, ms: nowMs } = time;
  const writer = createAuditWriter(config, store);
  const buffer = createAuditBuffer({ writer: metrics ? measuredWriter(writer, metrics) : writer, max: config.audit.bufferMax, onError });
  const auditReads = createAuditReadGate({ store, nowMs, onError });
  const audit = createAuditService({ store, config, buffer, gate: auditReads, now, nowMs });
  // Changes that webhooks announce are enqueued in the transaction that records them (the outbox pattern).
  const deps = { store, config, now, record: announcingRecorder(audit.change, now) };
  const webhookWorker = createWebhookWorker({ store, config, now, onError, metrics });
  const webhookExpiry = createWebhookExpiry({ store, now });
  const keys = createSigningKeys({ store, masterKey: config.masterKey, now });
  const lastUsed = createLastUsed({ store, onError });
  const issuer = createIssuer({ store, configured: config.issuer, publicUrl: config.publicUrl });
  const verifier = createVerifier({ store, config, nowMs, keys, lastUsed, issuer });
  const tokens = createTokenService({ ...deps, keys, lastUsed, issuer });
  const rateLimits = createRateLimits({ store, config, nowMs, onError });
  const projects = createProjectService(deps);
  const cliLogins = createCliLoginService({ store, config, tokens, now });
  // One throttle for every password check: sign-in, invitations to an existing account, password changes.
  const throttle = createThrottle({ store, max: 10, windowMs: 15 * 60_000, now, onError });
  // Every password check, counted: the throttle's callers count an attempt before it, this counts the check itself.
  const passwords = createPasswordChecks(metrics);
  const invitations = createInvitationService({ ...deps, mailer });
  // The doors for other services (forward auth, check, introspection): the catalogue's names and the custom APIs'.
  const names = withApis((scope, asked) => resolveApiPermissions(store, scope, asked));
  const checks = createTokenChecks({ store, verifier, rateLimits, audit, names, metrics });
  const deviceAuthorizations = createDeviceAuthorizationService({ store, config, tokens, now });
  // Foreign issuers' keys: fetched on this process's clock (the cache is timing, not a decision a test sets).
  const oidcKeys = createOidcKeys();
  // Leaked and orphaned tokens are announced (token.leaked, token.orphaned) by the announcing recorder in `deps`.
  const leaks = createLeakedTokens({ ...deps, keys, nowMs, onError });
  const orphans = createOrphanedTokens(deps);
  const githubScanningKeys = createGithubScanningKeys({ url: config.leaks.githubKeysUrl, nowMs, onError });
  const authEvents = createAuthEvents(store);
  let pruning: NodeJS.Timeout | undefined;
  let expiryScan: NodeJS.Timeout | undefined;
  return {
    config,
    store,
    clock: time,
    keys,
    issuer,
    lastUsed,
    verifier,
    checks,
    authEvents,
    revocation: createTokenRevocation({ store, verifier, tokens, now, record: audit.change }),
    tokens,
    rateLimits,
    throttle,
    cliLogins,
    sessions: createSessionService({ ...deps, throttle, passwords }),
    accounts: createAccountService(deps),
    mailer,
    invitations,
    acceptance: createInvitationAcceptance({ ...deps, throttle, passwords, invitations }),
    orgs: createOrgService(deps),
    teams: createTeamService(deps),
    roles: createRoleService(deps),
    members: createMemberService({ ...deps, invitations, onMemberLeft: orphans.creatorLeft }),
    projects,
    apis: createApiService(deps),
    trustPolicies: createTrustPolicyService(deps),
    oidcKeys,
    tokenExchange: createTokenExchange({ ...deps, tokens, keys: oidcKeys }),
    deviceAuthorizations,
    myAccess: createMyAccess({ store }),
    audit,
    auditReads,
    leaks,
    githubScanningKeys,
    webhooks: createWebhookService({ ...deps, wake: () => void webhookWorker.run() }),
    webhookWorker,
    webhookExpiry,
    async init(): Promise<void> {
      await issuer.init();
      await keys.init();
      // Hourly housekeeping: audit events past retention, console sessions past their end, old rate windows.
      const housekeeping = async () => {
        await audit.prune();
        await store.sessions.removeExpired(now().toISOString());
        await rateLimits.prune();
        await cliLogins.removeExpired();
        await deviceAuthorizations.removeExpired();
      };
      await housekeeping();
      pruning = setInterval(() => void housekeeping().catch(onError), 3_600_000);
      pruning.unref();
      webhookWorker.start();
      expiryScan = setInterval(() => void webhookExpiry.scan().catch(onError), config.webhooks.expiryScanMs);
      expiryScan.unref();
      void webhookExpiry.scan().catch(onError);
    },
    async close(): Promise<void> {
      if (pruning) clearInterval(pruning);
      if (expiryScan) clearInterval(expiryScan);
      await webhookWorker.stop();
      verifier.close();
      checks.close();
      authEvents.close();
      projects.close();
      await rateLimits.close();
      await leaks.close();
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
