#!/usr/bin/env node
/**
 * Webhook delivery latency with a healthy receiver (issue 18, "Report"; no goal).
 *
 * Starts one real server process (packages/server/dist/main.js) on a fresh PostgreSQL database (--db=sqlite: on its
 * embedded SQLite store) and a real receiver in this process (node:http on 127.0.0.1) that verifies every message
 * with the `standardwebhooks` package under the webhook's secret and answers 204 (400 to a bad signature, which fails
 * the run). A team webhook subscribes to `token.created`; each round creates RUNS tokens through the API, one at a
 * time, waiting for each delivery before the next. A sample runs from the event to the receiver's 2xx:
 *
 * - from the event's `timestamp` (the server's clock, taken in the transaction that commits the token and its
 *   outbox message: an upper bound of commit-to-2xx, by the commit's own duration) — the recorded value;
 * - from the arrival of the API's reply (sent after that commit: a lower bound), in details.
 *
 * A round's value is the nearest-rank p99 of its samples (from the event); details give p50/p99 over all samples for
 * both. Writes bench/results/webhook-delivery.json (webhook-delivery-sqlite.json with --db=sqlite).
 *
 *   node bench/webhooks.mjs              (PostgreSQL at postgres://postgres@127.0.0.1:5432/postgres)
 *   node bench/webhooks.mjs --quick      (2 rounds of 20, record to a temp dir, not bench/results)
 *   node bench/webhooks.mjs --db=sqlite
 *   BENCH_ROUNDS=5 LATCHKEY_BENCH_RUNS=100 LATCHKEY_BENCH_POSTGRES_URL=postgres://... node bench/webhooks.mjs
 *
 * Bounded: at most 2000 runs per round, 10 s per delivery, 5 minutes in all; everything listens on 127.0.0.1 only;
 * the database is dropped afterwards.
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { URL } from "node:url";
import { Webhook } from "standardwebhooks";
import { ensureBuilt, pgAdmin, POSTGRES_ADMIN_URL, printHeader, QUICK, roundCount, writeResult } from "./lib.mjs";
import { freePort, ok, percentile, round2, signIn, startServer } from "./server-process.mjs";

const RUNS = Math.min(Math.max(Number(process.env.LATCHKEY_BENCH_RUNS ?? (QUICK ? 20 : 100)) || 100, 1), 2000);
const ROUNDS = roundCount(5, 2);
const DELIVERY_DEADLINE_MS = 10_000;
const TOTAL_DEADLINE_MS = 5 * 60_000;
const SQLITE = process.argv.includes("--db=sqlite");
const TEAM = "acme";

/** Wall-clock milliseconds with sub-millisecond resolution (the event's timestamp is the server's wall clock). */
const wall = () => performance.timeOrigin + performance.now();
const started = performance.now();
const checkTotal = () => {
  if (performance.now() - started > TOTAL_DEADLINE_MS) throw new Error(`the benchmark ran over ${TOTAL_DEADLINE_MS / 1000} s`);
};

/**
 * The receiver: verifies each message (Standard Webhooks, the `standardwebhooks` package), answers 204, and notes
 * when it answered, by token id. `expect(id)` resolves with that moment and the event's timestamp.
 */
async function startReceiver() {
  const state = { secret: "", badSignatures: 0 };
  const waiting = new Map();
  const arrived = new Map();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      let body;
      try {
        new Webhook(state.secret).verify(raw, req.headers);
        body = JSON.parse(raw);
      } catch {
        state.badSignatures++;
        res.statusCode = 400;
        res.end();
        return;
      }
      res.statusCode = 204;
      res.end();
      const answeredAt = wall();
      const id = body.data?.token?.id;
      if (body.type !== "token.created" || typeof id !== "string") return;
      const sample = { answeredAt, eventAt: Date.parse(body.timestamp) };
      const resolve = waiting.get(id);
      if (resolve) {
        waiting.delete(id);
        resolve(sample);
      } else arrived.set(id, sample);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/hook`,
    state,
    /** The delivery of token `id`'s `token.created`: resolves with its moments, rejects after the deadline. */
    expect(id) {
      const early = arrived.get(id);
      if (early) {
        arrived.delete(id);
        return Promise.resolve(early);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`no delivery for ${id} within ${DELIVERY_DEADLINE_MS} ms`));
        }, DELIVERY_DEADLINE_MS);
        waiting.set(id, (sample) => {
          clearTimeout(timer);
          resolve(sample);
        });
      });
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

async function main() {
  ensureBuilt(); // when dist is missing or older than the sources
  const db = SQLITE ? null : `latchkey_bench_${randomBytes(6).toString("hex")}`;
  let server = null;
  const receiver = await startReceiver();
  if (db) await pgAdmin(`create database ${db}`);
  const cleanup = async () => {
    await server?.stop().catch(() => undefined);
    await receiver.close();
    if (db)
      await pgAdmin(`drop database if exists ${db} with (force)`).catch((e) =>
        process.stderr.write(`could not drop ${db}: ${e.message}\n`),
      );
  };
  const onSignal = () => void cleanup().finally(() => process.exit(130));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const env = { LATCHKEY_MASTER_KEY: randomBytes(32).toString("base64"), LATCHKEY_WEBHOOKS_ALLOW_PRIVATE: "true" };
    if (db) {
      const url = new URL(POSTGRES_ADMIN_URL);
      url.pathname = `/${db}`;
      env.LATCHKEY_DATABASE_URL = url.toString();
    }
    server = await startServer("webhooks", await freePort(), env);
    const auth = await signIn(server.url);
    await ok(server.url, "POST", "/v1/teams", { ...auth, body: { name: "Acme" } });
    const hook = await ok(server.url, "POST", `/v1/teams/${TEAM}/webhooks`, {
      ...auth,
      body: { url: receiver.url, events: ["token.created"], description: "bench receiver" },
    });
    receiver.state.secret = hook.body.data.secret;

    const store = SQLITE ? "SQLite" : "PostgreSQL";
    printHeader(`Latchkey webhook delivery benchmark: ${ROUNDS} rounds of ${RUNS} token.created events, one process on ${store}`);
    const fromEvent = [];
    const fromReply = [];
    const roundP99 = [];
    for (let round = 0; round < ROUNDS; round++) {
      const samples = [];
      for (let i = 0; i < RUNS; i++) {
        checkTotal();
        const reply = await ok(server.url, "POST", `/v1/teams/${TEAM}/tokens`, {
          ...auth,
          body: { name: `bench ${round}.${i}`, roleId: "default" },
        });
        const repliedAt = wall();
        const { answeredAt, eventAt } = await receiver.expect(reply.body.data.apiToken.id);
        samples.push(answeredAt - eventAt);
        fromReply.push(answeredAt - repliedAt);
      }
      const sorted = [...samples].sort((x, y) => x - y);
      roundP99.push(round2(percentile(sorted, 99)));
      fromEvent.push(...samples);
      process.stdout.write(
        `  round ${round + 1}: p50 ${round2(percentile(sorted, 50))} ms, p99 ${roundP99[round]} ms, max ${round2(sorted.at(-1))} ms\n`,
      );
    }

    const event = [...fromEvent].sort((x, y) => x - y);
    const reply = [...fromReply].sort((x, y) => x - y);
    writeResult({
      benchmark: SQLITE ? "webhook-delivery-sqlite" : "webhook-delivery",
      label: `webhook delivery on ${store}: from a token.created event (its timestamp, in the committing transaction) to a healthy local receiver's 2xx after verifying the signature, p99 of each round of ${RUNS}`,
      unit: "ms",
      rounds: roundP99,
      goal: null,
      failedCheck:
        receiver.state.badSignatures > 0 ? `${receiver.state.badSignatures} messages failed standardwebhooks verification` : undefined,
      method:
        `one server process on ${store}, one team webhook for token.created pointing at a node:http receiver in the benchmark process ` +
        `(verifies with standardwebhooks, answers 204); ${ROUNDS} rounds of ${RUNS} tokens created through POST /v1/teams/acme/tokens one at a ` +
        "time, each delivery awaited before the next; a sample: from the event's timestamp (server clock, same machine) to the receiver's " +
        "204; a round's value = the nearest-rank p99 of its samples; fromReply*: the same, from the arrival of the API's reply (after the " +
        "commit: a lower bound)",
      details: {
        runsPerRound: RUNS,
        samples: event.length,
        p50Ms: round2(percentile(event, 50)),
        p95Ms: round2(percentile(event, 95)),
        p99Ms: round2(percentile(event, 99)),
        maxMs: round2(event.at(-1)),
        fromReplyP50Ms: round2(percentile(reply, 50)),
        fromReplyP99Ms: round2(percentile(reply, 99)),
        badSignatures: receiver.state.badSignatures,
      },
    });
  } catch (error) {
    if (server) process.stderr.write(`--- server ---\n${server.output()}\n`);
    throw error;
  } finally {
    await cleanup();
  }
}

main().catch((error) => {
  process.stderr.write(`webhooks bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
