#!/usr/bin/env node
import { buildApp } from "./app.js";
import { ConfigError, loadConfig } from "./config.js";
import { rotateSigningKey } from "./rotate-signing-key.js";
import { backup } from "./backup.js";

/** How long in-flight requests may take to finish on SIGTERM before their connections are closed. */
const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`latchkey: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const command = process.argv[2];
  if (command === "rotate-signing-key") {
    const kid = await rotateSigningKey(config);
    process.stdout.write(`New signing key ${kid} is active; tokens signed by older keys keep working.\n`);
    return;
  }
  if (command === "backup") {
    process.exitCode = await backup(
      config,
      process.argv[3],
      (line) => process.stdout.write(line),
      (line) => process.stderr.write(line),
    );
    return;
  }
  if (command !== undefined) {
    process.stderr.write(`latchkey: unknown command '${command}' (commands: rotate-signing-key, backup <file>; none starts the server)\n`);
    process.exit(2);
  }
  const { app, services, metricsPort, announce } = await buildApp(config);
  const first = await services.accounts.bootstrap();
  await app.listen({ port: config.port, host: config.host });
  // The banner goes through the log's own stream (JSON lines, or pretty lines on a terminal), in order with the log.
  const where = config.database.kind === "sqlite" ? `SQLite at ${config.database.path}` : "PostgreSQL";
  announce(`Latchkey is listening on http://${config.host}:${config.port} (public URL ${config.publicUrl}), database: ${where}`);
  if (first && "createdEmail" in first) announce(`Created the first account, ${first.createdEmail} (from LATCHKEY_BOOTSTRAP_EMAIL).`);
  if (first && "setupUrl" in first) announce(`No account exists yet. Create the first one within this run, once, at: ${first.setupUrl}`);
  announce(`API reference: ${config.publicUrl}/docs`);
  if (metricsPort !== null) announce(`Prometheus metrics: http://${config.host}:${metricsPort}/metrics`);
  const stop = (signal: string) => {
    app.log.info({ signal }, "shutting down");
    // In-flight requests finish (each reply still waits for its audit event), then the buffer is flushed (onClose).
    // Fastify closes the idle keep-alive connections once, when it starts closing: one still busy then would stay
    // open for its keep-alive timeout (72 s) after its reply, so idle ones are closed as they come, and after
    // SHUTDOWN_GRACE_MS every connection is.
    const sweep = setInterval(() => app.server.closeIdleConnections(), 50);
    const force = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    sweep.unref();
    force.unref();
    void app.close().then(() => process.exit(0));
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}

main().catch((error: unknown) => {
  process.stderr.write(`latchkey: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
