import { createAuditBuffer } from "../audit/buffer.js";
import { createAuditWriter } from "../audit/writer.js";
import type { Config } from "../config.js";
import { createAuditService } from "../audit/service.js";
import { createAuditReadGate } from "../audit/reads.js";
import { createAccountService } from "./accounts.js";
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
import { announcingRecorder } from "./webhook-events.js";
import { createWebhookExpiry } from "./webhook-expiry.js";
import { createWebhookService } from "./webhooks.js";
import { createWebhookWorker } from "./webhook-worker.js";
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
  // Changes that webhooks announce are enqueued in the transaction that records them (the outbox pattern).
  const deps = { store, config, now, record: announcingRecorder(audit.change, now) };
  const webhookWorker = createWebhookWorker({ store, config, now, onError });
  const webhookExpiry = createWebhookExpiry({ store, now });
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
  let pruning: NodeJS.Timeout | undefined;
  let expiryScan: NodeJS.Timeout | undefined;
  return {
    config,
    store,
    keys,
    lastUsed,
    verifier,
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
        await tx.publish({ t: "role", entityType: entity.type, entityId: entity.id, roleId });
        if (deleted) await tokens.revokeRoleTokens(tx, entity, roleId);
      },
    }),
    members: createMemberService({ ...deps, invitations }),
    projects,
    audit,
    auditReads,
    webhooks: createWebhookService({ ...deps, wake: () => void webhookWorker.run() }),
    webhookWorker,
    webhookExpiry,
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
