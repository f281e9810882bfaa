// Forward auth and check (issue 15, "Benchmark"), on one server as served (request auditing on), same connections and
// duration, alternating after a warm-up:
//   - forward: `GET /v1/auth/forward?permission=project.read` with the client's Bearer token and X-Forwarded-Method/-Uri
//     (what a gateway sends on every request), allowed, audited (auth.forward), against `GET /healthz`. Goal: the
//     median of the per-round req/s ratios >= 0.6; the server CPU per request of both is recorded too.
//   - check: `POST /v1/auth/check {token, permissions: ["project.read"]}` by a token holding team.apis.verify, against
//     `GET /healthz` (no goal; two audit events per request: the caller's request and the checked token's auth.check).
// The server runs in a child process (autocannon in this one), on SQLite. Writes bench/results/forward-auth.json and
// auth-check.json.
//   node bench/forward.mjs               # the benchmark
//   node bench/forward.mjs --quick       # 2 rounds of 1 s, records to a temp dir (BENCH_RESULTS_DIR)
//   node bench/forward.mjs --cpu-prof    # also a V8 CPU profile of the server's process, in the temp dir
//   node bench/forward.mjs --cpu-prof --only=forward   # one route alone (forward, healthz or check), no record
//   BENCH_HTTP_SECONDS=4 BENCH_HTTP_ROUNDS=4 BENCH_HTTP_CONNECTIONS=10 node bench/forward.mjs
import process from "node:process";
import { fileURLToPath } from "node:url";
import { alternateRounds, answerParent, forkServer, httpSettings, measureRoute, summariseRuns } from "./child-server.mjs";
import { ensureBuilt, OWNER_EMAIL, OWNER_PASSWORD, printHeader, startFixture, TEAM_ID, writeResult } from "./lib.mjs";

const SELF = fileURLToPath(import.meta.url);
const { fetch } = globalThis;
const GOAL = 0.6;

// ---------------------------------------------------------------------------------------------------------------
// Child: the server, with the client's token (role "default": project.read) and a verifier's token (role "admin").
if (process.argv[2] === "--serve") {
  const fixture = await startFixture({ projects: 1, build: false });
  const { app } = fixture;
  const signIn = await app.inject({ method: "POST", url: "/v1/session", payload: { email: OWNER_EMAIL, password: OWNER_PASSWORD } });
  const cookie = signIn.cookies.find((c) => c.name === "latchkey_session");
  const headers = { cookie: `latchkey_session=${cookie?.value ?? ""}`, "x-csrf-token": JSON.parse(signIn.body).data.csrfToken };
  const created = await app.inject({
    method: "POST",
    url: `/v1/teams/${TEAM_ID}/tokens`,
    headers,
    payload: { name: "verifier", roleId: "admin" },
  });
  if (created.statusCode !== 200) throw new Error(`verifier token: ${created.statusCode} ${created.body}`);
  const address = await app.listen({ port: 0, host: "127.0.0.1" });
  answerParent({ address, token: fixture.token, verifier: JSON.parse(created.body).data.token }, { stop: () => fixture.close() });
} else {
  await main();
}

async function main() {
  ensureBuilt();
  const { seconds, rounds, connections, warmupSeconds, profileDir } = httpSettings("forward");
  const only = process.argv.find((a) => a.startsWith("--only="))?.slice("--only=".length);
  const serving = forkServer(SELF, ["--serve"], { profileDir, stdout: "inherit", stopTimeoutMs: 5000 });
  const { address, token, verifier } = await serving.ready;
  const routes = {
    healthz: { label: "GET /healthz", url: `${address}/healthz`, method: "GET", headers: {} },
    forward: {
      label: "GET /v1/auth/forward",
      url: `${address}/v1/auth/forward?permission=project.read`,
      method: "GET",
      headers: {
        authorization: `Bearer ${token}`,
        "x-forwarded-method": "GET",
        "x-forwarded-uri": "/orders/42",
        "x-forwarded-for": "203.0.113.7",
      },
    },
    check: {
      label: "POST /v1/auth/check",
      url: `${address}/v1/auth/check`,
      method: "POST",
      headers: { authorization: `Bearer ${verifier}`, "content-type": "application/json" },
      body: JSON.stringify({ token, permissions: ["project.read"] }),
    },
  };

  try {
    // Every route answers as it should before anything is timed: forward allows, check says VALID.
    for (const [key, route] of Object.entries(routes)) {
      const res = await fetch(route.url, { method: route.method, headers: route.headers, body: route.body });
      const text = await res.text();
      const fine = res.status === 200 && (key !== "forward" || text === "") && (key !== "check" || JSON.parse(text).data?.code === "VALID");
      if (!fine) throw new Error(`${route.label} -> ${res.status} ${text}`);
    }

    printHeader("Latchkey forward auth and check benchmark");
    process.stdout.write(
      `  ${connections} connections, ${rounds} rounds of ${seconds} s per route, alternating, after ${warmupSeconds} s warm-up each\n`,
    );
    const run = (route, duration) => measureRoute(route, { connections, duration, cpuUs: serving.cpuUs });
    if (only) {
      // One route alone (with --cpu-prof: a profile of that route only, to set beside another route's): no record.
      const route = routes[only];
      if (!route) throw new Error(`--only=${only}: one of ${Object.keys(routes).join(", ")}`);
      const warm = await run(route, warmupSeconds);
      const r = await run(route, seconds * rounds);
      process.stdout.write(
        `  ${route.label}: ${Math.round(r.reqPerSec)} req/s, server ${r.serverCpuUsPerRequest} µs CPU/req; ${warm.requests + r.requests} requests in all (divide a profile by this)\n`,
      );
      if (profileDir) process.stdout.write(`server CPU profile (written as the server stops): ${profileDir}\n`);
      return;
    }
    for (const route of Object.values(routes)) await run(route, warmupSeconds);
    const runs = await alternateRounds(Object.keys(routes), rounds, async (key) => {
      const r = await run(routes[key], seconds);
      process.stdout.write(
        `  ${routes[key].label.padEnd(24)} ${Math.round(r.reqPerSec).toLocaleString("en-US").padStart(8)} req/s  p50 ${r.latencyMs.p50} ms  p99 ${r.latencyMs.p99} ms  server ${r.serverCpuUsPerRequest} µs CPU/req\n`,
      );
      return r;
    });
    await serving.stop();

    const summarise = (key) => ({
      ...summariseRuns(routes[key].label, runs[key]),
      rounds: runs[key].map((r) => ({ reqPerSec: Math.round(r.reqPerSec), serverCpuUsPerRequest: r.serverCpuUsPerRequest })),
    });
    const baseline = summarise("healthz");
    const method = `autocannon ${connections} connections, pipelining 1, ${rounds} rounds of ${seconds} s per route (healthz, forward, check; odd rounds in reverse order) after ${warmupSeconds} s warm-up per route, one server (SQLite, request auditing on) in a child process; a round's value = req/s of the candidate / req/s of GET /healthz in that round; serverCpuRatio = healthz's server CPU per request / the candidate's (the server process's CPU time / requests)`;
    const compare = (key) => {
      const candidate = summarise(key);
      const roundRatios = runs[key].map((c, i) => +(c.reqPerSec / runs.healthz[i].reqPerSec).toFixed(3));
      const serverCpuRatio = +(baseline.serverCpuUsPerRequest / candidate.serverCpuUsPerRequest).toFixed(3);
      process.stdout.write(
        `\n${candidate.label} vs GET /healthz: per-round ratios ${roundRatios.join(", ")}; server CPU ${candidate.serverCpuUsPerRequest} µs vs ${baseline.serverCpuUsPerRequest} µs per request (ratio ${serverCpuRatio})\n`,
      );
      return { candidate, roundRatios, serverCpuRatio };
    };
    const forward = compare("forward");
    const check = compare("check");
    writeResult({
      benchmark: "forward-auth",
      label: `forward auth: GET /v1/auth/forward?permission=project.read (Bearer token, X-Forwarded-*, allowed, audited auth.forward) vs GET /healthz, req/s, autocannon ${connections} connections`,
      unit: "ratio",
      rounds: forward.roundRatios,
      goal: { op: ">=", value: GOAL },
      boundedByOne: true,
      method,
      details: { connections, secondsPerRun: seconds, candidate: forward.candidate, baseline, serverCpuRatio: forward.serverCpuRatio },
    });
    writeResult({
      benchmark: "auth-check",
      label: `check: POST /v1/auth/check {token, permissions: [project.read]} (caller holds team.apis.verify; audited twice) vs GET /healthz, req/s, autocannon ${connections} connections`,
      unit: "ratio",
      rounds: check.roundRatios,
      boundedByOne: true,
      method,
      details: { connections, secondsPerRun: seconds, candidate: check.candidate, baseline, serverCpuRatio: check.serverCpuRatio },
    });
    if (profileDir) process.stdout.write(`server CPU profile: ${profileDir}\n`);
  } catch (error) {
    if (!error?.measurement) throw error;
    process.stdout.write(`\nNO RESULT: ${error.message}\n${JSON.stringify(error.measurement)}\n`);
    process.exitCode = 1;
  } finally {
    await serving.stop();
  }
}
