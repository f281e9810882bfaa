import { randomBytes } from "node:crypto";
import cookie from "@fastify/cookie";
import websocket from "@fastify/websocket";
import Fastify, { LogController, type FastifyInstance } from "fastify";
import { createServices, type Services } from "./services/app-services.js";
import { usesWriterThread } from "./audit/writer.js";
import type { Config } from "./config.js";
import { createAuthenticator, type BearerAuthenticator } from "./http/authenticate.js";
import { installAuditHooks } from "./audit/hooks.js";
import { createConsole } from "./http/console.js";
import { installErrorHandling, unsupportedMediaType } from "./http/errors.js";
import { installAccessLog } from "./http/access-log.js";
import { installMetricsHooks } from "./http/metrics-hooks.js";
import { startMetricsServer } from "./http/metrics-server.js";
import { createMetrics } from "./lib/metrics.js";
import { logFormatFor, stdoutLog } from "./lib/log-format.js";
import { pino } from "pino";
import { DEFAULT_LISTENER_LIMITS, installJsonLimits, MAX_HEADER_BYTES, type ListenerLimits } from "./http/limits.js";
import { createRouter, type RouteDoc } from "./http/route.js";
import { memberRoutes } from "./http/routes/members.js";
import { metaRoutes } from "./http/routes/meta.js";
import { orgRoutes } from "./http/routes/orgs.js";
import { projectRoutes } from "./http/routes/projects.js";
import { apiRoutes } from "./http/routes/apis.js";
import { roleRoutes } from "./http/routes/roles.js";
import { sessionRoutes } from "./http/routes/session.js";
import { teamRoutes } from "./http/routes/teams.js";
import { auditRoutes } from "./http/routes/audit.js";
import { cliLoginRoutes } from "./http/routes/cli-login.js";
import { MAX_FRAME_BYTES } from "./http/cli-login-socket.js";
import { identityRoutes } from "./http/routes/identity.js";
import { tokenRoutes } from "./http/routes/tokens.js";
import { forwardAuthRoutes } from "./http/routes/forward-auth.js";
import { authEventRoutes } from "./http/routes/auth-events.js";
import { tokenCheckRoutes } from "./http/routes/token-checks.js";
import { oauthRoutes } from "./http/routes/oauth.js";
import { oauthTokenRoutes, sendOAuthError } from "./http/routes/oauth-token.js";
import { trustPolicyRoutes } from "./http/routes/trust-policies.js";
import { FORM_TYPE, installFormBody } from "./http/form-body.js";
import { OAuthRefusal } from "./services/oauth-error.js";
import { leakRoutes } from "./http/routes/leaks.js";
import { myAccessRoutes } from "./http/routes/my-access.js";
import { webhookRoutes } from "./http/routes/webhooks.js";
import { createInProcessFeed, createPostgresFeed } from "./store/change-feed.js";
import { startCheckpointer, usesCheckpointThread } from "./store/checkpointer.js";
import { openDatabase } from "./store/database.js";
import { createStore } from "./store/store.js";
import { createMailer, type Mailer } from "./services/mailer.js";

const BODY_LIMIT = 1024 * 1024;
const processTag = randomBytes(6).toString("base64url");
let requestCounter = 0;

/** Log lines never carry credentials or secrets: headers are not logged and query strings are cut off. */
const serializers = {
  req: (req: { method: string; url: string; ip?: string; id?: string }) => ({
    method: req.method,
    path: req.url.split("?")[0],
    ip: req.ip,
  }),
};

/** The server: Fastify, the services and every route, over an open store. */
export async function buildApp(
  config: Config,
  /**
   * `auditRequests: false` exists only for the benchmark that measures what request auditing costs; `consoleDir` is
   * where the web console's build is (packages/web/dist by default).
   */
  options: {
    logger?: boolean;
    /** Where log lines go instead of stdout (tests read them to prove that no secret is ever logged). */
    logStream?: { write(line: string): void };
    now?: () => Date;
    auditRequests?: boolean;
    limits?: Partial<ListenerLimits>;
    consoleDir?: string;
    /** Where e-mail goes instead of what the configuration says (tests read an outbox). */
    mailer?: Mailer;
    /** Tests: check every JSON reply against its route's `reply` schema (http/reply-check.ts). */
    checkReplies?: boolean;
  } = {},
): Promise<{
  app: FastifyInstance;
  services: Services;
  routes: readonly RouteDoc[];
  metricsPort: number | null;
  /** Writes a line of the start-up banner to the log's destination, in its format, whatever LATCHKEY_LOG_LEVEL says. */
  announce: (message: string) => void;
}> {
  // SQLite's checkpoints run off the event loop: on the audit writer thread's connection when there is one, else on a
  // thread of their own; on this connection only where neither can start (the test runner's TypeScript sources).
  const writerThread = usesWriterThread(config);
  const checkpointThread = usesCheckpointThread(config, writerThread);
  const db = await openDatabase(config.database, { checkpoints: !writerThread && !checkpointThread });
  const checkpointer = checkpointThread && config.database.kind === "sqlite" ? startCheckpointer(config.database.path) : null;
  const metrics = config.metricsPort === null ? null : createMetrics();
  const feed =
    config.database.kind === "postgres"
      ? await createPostgresFeed(config.database.url, metrics ? { onLag: (ms) => metrics.feedLag(ms) } : {})
      : createInProcessFeed();
  const limits = { ...DEFAULT_LISTENER_LIMITS, ...options.limits };
  // One destination for the server's log, its access lines and its start-up banner: stdout, as JSON lines written
  // asynchronously, or as pretty lines when stdout is a terminal (lib/log-format.ts). A kill -9 can lose the last
  // lines of the log, never an audit event (the audit log is the durable record).
  const stdout = options.logStream ? null : stdoutLog(logFormatFor(config.logFormat, process.stdout.isTTY === true));
  const logDestination = options.logStream ?? stdout?.stream ?? process.stdout;
  const app = Fastify({
    logger:
      options.logger === false
        ? false
        : {
            level: config.logLevel,
            serializers,
            redact: { paths: ["*.password", "*.token", "*.authorization", "*.cookie"], censor: "[redacted]" },
            stream: logDestination,
          },
    // One access line per request instead of Fastify's two (http/access-log.ts), and no child logger made for every
    // request: `request.log` is the server's logger, and the lines that need the request id carry it themselves.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (logger) => logger,
    bodyLimit: BODY_LIMIT,
    // Fastify's default requestTimeout of 0 turns Node's off: a client trickling its body would hold a socket forever.
    requestTimeout: limits.requestTimeoutMs,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      connectionsCheckingInterval: limits.checkIntervalMs,
      maxHeaderSize: MAX_HEADER_BYTES,
    },
    // A random prefix per process and a counter: unique across processes without a random draw per request.
    genReqId: () => `req_${processTag}${(requestCounter++).toString(36)}`,
    requestIdHeader: false,
    // X-Forwarded-For is believed only from the configured proxies (none by default): request.ip is then the client's.
    trustProxy: config.trustedProxies.length > 0 ? config.trustedProxies : false,
    return503OnClosing: true,
  });
  const mailer = options.mailer ?? createMailer(config, (fields, text) => app.log.warn(fields, text));
  const services = createServices(
    config,
    createStore(db, feed),
    mailer,
    options.now,
    (error) => app.log.error({ err: error }, "background write failed"),
    metrics,
  );
  await services.init();
  app.addHook("onRequest", (request, reply, done) => {
    void reply.header("x-request-id", request.id);
    done();
  });
  installAccessLog(app, options.logger === false ? null : { level: config.logLevel, destination: logDestination });
  if (metrics) installMetricsHooks(app, metrics);
  await app.register(cookie);
  await app.register(websocket, { options: { maxPayload: MAX_FRAME_BYTES } });
  const webConsole = createConsole(options.consoleDir);
  installErrorHandling(app, webConsole.notFound);
  installJsonLimits(app);

  const bearer: BearerAuthenticator = (token, request) => services.verifier.authenticate(token, request.ip);
  const auditRequests = options.auditRequests ?? true;
  const audit = auditRequests ? services.audit : null;
  const auth = createAuthenticator({ store: services.store, sessions: services.sessions, bearer, audit, limits: services.rateLimits });
  if (audit) installAuditHooks(app, audit, config.audit.durability);
  const router = createRouter(app, auth, services.store, { checkReplies: options.checkReplies === true });
  sessionRoutes(router, services, auth);
  orgRoutes(router, services);
  teamRoutes(router, services);
  roleRoutes(router, services);
  memberRoutes(router, services);
  projectRoutes(router, services);
  apiRoutes(router, services);
  tokenRoutes(router, services);
  trustPolicyRoutes(router, services);
  // OAuth's form-encoded endpoints get the form parser in a scope of their own: every other route stays JSON-only (415).
  await app.register((scope, _options, done) => {
    installFormBody(scope);
    // A form the parser refuses (repeated or too many parameters) is OAuth's invalid_request here too.
    scope.setErrorHandler((error, request, reply) =>
      sendOAuthError(
        reply,
        (error as { statusCode?: number }).statusCode === 415
          ? new OAuthRefusal("invalid_request", unsupportedMediaType(request.headers["content-type"], FORM_TYPE).message)
          : error,
      ),
    );
    oauthTokenRoutes(scope, router, services);
    done();
  });
  leakRoutes(router, services);
  webhookRoutes(router, services);
  auditRoutes(router, services);
  myAccessRoutes(router, services);
  cliLoginRoutes(app, router, services);
  identityRoutes(app, router, services);
  forwardAuthRoutes(app, router, services);
  tokenCheckRoutes(router, services);
  authEventRoutes(app, router, services);
  oauthRoutes(app, router, services);
  metaRoutes(app, router, services);
  webConsole.routes(app);
  let metricsServer: Awaited<ReturnType<typeof startMetricsServer>> | null = null;
  if (metrics && config.metricsPort !== null) {
    metrics.attach({ auditBufferDepth: () => services.audit.buffer.pending(), changeFeedConnected: () => feed.healthy() });
    metricsServer = await startMetricsServer(metrics, config.host, config.metricsPort);
  }
  app.addHook("onClose", async () => {
    await metricsServer?.close();
    await services.close();
    await feed.close();
    await checkpointer?.close();
    await db.close();
    // Last, so that what closing logged goes out too; a broken stdout has dropped its lines and never holds this up.
    await stdout?.end();
  });
  // The banner holds what the operator must see (where the server listens, the one-time setup link): always written.
  const banner = pino({ level: "info" }, logDestination);
  return { app, services, routes: router.docs, metricsPort: metricsServer?.port ?? null, announce: (message) => banner.info(message) };
}
