// HTTP (issue 3, "Benchmark"): authenticated `GET /v1/projects` (Bearer API token) against `GET /healthz` on the
// same server, same connections and duration, alternating (H P P H H P ...) after a warm-up. Goal: ratio >= 0.6.
// The server runs in a child process (its own core; autocannon in this one) listening on 127.0.0.1, random port.
// Writes bench/results/http.json.
//   node bench/http.mjs                  # the benchmark (exit 1 only when it cannot measure, e.g. non-2xx replies)
//   node bench/http.mjs --check          # also exit 1 when the goal is missed
//   node bench/http.mjs --cpu-prof       # also write a V8 CPU profile of the server to the temp dir
//   BENCH_HTTP_SECONDS=4 BENCH_HTTP_ROUNDS=4 BENCH_HTTP_CONNECTIONS=10 node bench/http.mjs
import { fork } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import process from "node:process";
import { clearTimeout, setTimeout } from "node:timers";
import { fileURLToPath } from "node:url";
import { ensureBuilt, printHeader, SERVER_NODE_FLAGS, startFixture, writeResult } from "./lib.mjs";

const SELF = fileURLToPath(import.meta.url);
const { fetch } = globalThis; // Node >= 18

// ---------------------------------------------------------------------------------------------------------------
// Child: the server.
if (process.argv[2] === "--serve") {
  const fixture = await startFixture({ projects: 3, build: false }); // the parent built it
  const address = await fixture.app.listen({ port: 0, host: "127.0.0.1" });
  process.on("message", async (message) => {
    if (message === "cpu") {
      const u = process.cpuUsage();
      process.send?.({ cpuUs: u.user + u.system });
    } else if (message === "stop") {
      const size = fixture.services.verifier.size();
      await fixture.close();
      process.send?.({ stopped: true, verifierCache: size }, () => process.exit(0));
    }
  });
  process.send?.({ address, token: fixture.token });
} else {
  await main();
}

async function main() {
  const { default: autocannon } = await import("autocannon");
  const seconds = Number(process.env.BENCH_HTTP_SECONDS ?? 4);
  // This machine's speed drifts by a third from one minute to the next: more, shorter alternating rounds average it out.
  const rounds = Number(process.env.BENCH_HTTP_ROUNDS ?? 4);
  const connections = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 10);
  const warmupSeconds = 2;
  const goal = 0.6;
  const profile = process.argv.includes("--cpu-prof");

  ensureBuilt();
  const profileDir = profile ? mkdtempSync(join(os.tmpdir(), "latchkey-http-prof-")) : null;
  const child = fork(SELF, ["--serve"], {
    execArgv: [...SERVER_NODE_FLAGS, ...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [])],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const ready = await new Promise((resolve, reject) => {
    child.once("message", resolve);
    child.once("exit", (code) => reject(new Error(`server exited early (${code})`)));
  });
  const { address, token } = ready;
  const auth = { authorization: `Bearer ${token}` };
  const routes = {
    healthz: { label: "GET /healthz", url: `${address}/healthz`, headers: {} },
    projects: { label: "GET /v1/projects (Bearer)", url: `${address}/v1/projects`, headers: auth },
  };

  let stopSent = false;
  try {
    // Both answer 200 with what they should, before anything is timed.
    const probe = await fetch(routes.projects.url, { headers: auth });
    const body = await probe.json();
    if (probe.status !== 200 || !Array.isArray(body?.data?.projects) || body.data.projects.length === 0) {
      throw new Error(`GET /v1/projects -> ${probe.status} ${JSON.stringify(body)}`);
    }
    const health = await fetch(routes.healthz.url);
    if (health.status !== 200) throw new Error(`GET /healthz -> ${health.status}`);

    printHeader("Latchkey HTTP benchmark");
    process.stdout.write(
      `  ${connections} connections, ${rounds} rounds of ${seconds} s per route, order H P P H ... after ${warmupSeconds} s warm-up each\n`,
    );

    // The server's CPU time (all its threads), to state what one request costs it whatever else runs on the machine.
    const serverCpuUs = () =>
      new Promise((resolve) => {
        child.once("message", (m) => resolve(m.cpuUs));
        child.send("cpu");
      });
    const run = async (route, duration) => {
      const cpu0 = await serverCpuUs();
      const r = await autocannon({ url: route.url, headers: route.headers, connections, duration, pipelining: 1 });
      const cpuUs = (await serverCpuUs()) - cpu0;
      const bad = r.errors + r.timeouts + r.non2xx;
      if (bad > 0) {
        // Numbers that include refusals compare nothing: stop, and say what the server answered.
        const statusCodes = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, v]) => [code, v.count]));
        const error = new Error(
          `${route.label}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx of ${r.requests.total} (status codes ${JSON.stringify(statusCodes)})`,
        );
        throw Object.assign(error, {
          measurement: { route: route.label, errors: r.errors, timeouts: r.timeouts, non2xx: r.non2xx, statusCodes },
        });
      }
      return {
        requests: r.requests.total,
        seconds: r.duration,
        reqPerSec: r.requests.total / r.duration,
        serverCpuUsPerRequest: +(cpuUs / r.requests.total).toFixed(1),
        serverCpuShare: +(cpuUs / 1e6 / r.duration).toFixed(2),
        latencyMs: { mean: r.latency.mean, p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
      };
    };

    await run(routes.healthz, warmupSeconds);
    await run(routes.projects, warmupSeconds);

    const order = Array.from({ length: rounds }, (_, r) => (r % 2 === 0 ? ["healthz", "projects"] : ["projects", "healthz"])).flat();
    const runs = { healthz: [], projects: [] };
    for (const key of order) {
      const r = await run(routes[key], seconds);
      runs[key].push(r);
      process.stdout.write(
        `  ${routes[key].label.padEnd(26)} ${Math.round(r.reqPerSec).toLocaleString("en-US").padStart(8)} req/s  p50 ${r.latencyMs.p50} ms  p99 ${r.latencyMs.p99} ms  server ${r.serverCpuUsPerRequest} µs CPU/req (${r.serverCpuShare} cores)\n`,
      );
    }

    const summarise = (key) => {
      const rs = runs[key];
      const total = rs.reduce((n, r) => n + r.requests, 0);
      const secs = rs.reduce((n, r) => n + r.seconds, 0);
      const mean = (f) => +(rs.reduce((n, r) => n + f(r), 0) / rs.length).toFixed(2);
      return {
        label: routes[key].label,
        reqPerSec: Math.round(total / secs),
        serverCpuUsPerRequest: mean((r) => r.serverCpuUsPerRequest),
        latencyMs: {
          p50: mean((r) => r.latencyMs.p50),
          p99: mean((r) => r.latencyMs.p99),
          max: Math.max(...rs.map((r) => r.latencyMs.max)),
        },
        rounds: rs.map((r) => ({ reqPerSec: Math.round(r.reqPerSec), requests: r.requests, latencyMs: r.latencyMs })),
      };
    };
    const candidate = summarise("projects");
    const baseline = summarise("healthz");
    const ratio = candidate.reqPerSec / baseline.reqPerSec;
    // Pairs adjacent in time: (H1, P1), (P2, H2), ...
    const roundRatios = runs.projects.map((p, i) => +(p.reqPerSec / runs.healthz[i].reqPerSec).toFixed(3));
    const result = {
      name: "authenticated GET /v1/projects vs GET /healthz",
      candidate,
      baseline,
      ratio: +ratio.toFixed(3),
      roundRatios,
      // The same comparison in server CPU per request (healthz cost / projects cost): less sensitive to other load.
      serverCpuRatio: +(baseline.serverCpuUsPerRequest / candidate.serverCpuUsPerRequest).toFixed(3),
      goal,
      pass: ratio >= goal,
      method: `autocannon ${connections} connections, pipelining 1, ${rounds} rounds of ${seconds} s per route, order H P P H ... after ${warmupSeconds} s warm-up per route; server in a child process; ratio = req/s = total requests / total seconds; latency = mean over runs of autocannon's percentiles; serverCpuUsPerRequest = the server process's CPU time / requests`,
    };

    stopSent = true;
    const stopped = await new Promise((resolve) => {
      child.once("message", resolve);
      child.send("stop");
    });

    const mark = result.pass ? "PASS" : "FAIL";
    process.stdout.write(
      `\n${result.name}\n` +
        `  candidate  ${candidate.label.padEnd(26)} ${candidate.reqPerSec.toLocaleString("en-US").padStart(8)} req/s  p50 ${candidate.latencyMs.p50} ms  p99 ${candidate.latencyMs.p99} ms\n` +
        `  baseline   ${baseline.label.padEnd(26)} ${baseline.reqPerSec.toLocaleString("en-US").padStart(8)} req/s  p50 ${baseline.latencyMs.p50} ms  p99 ${baseline.latencyMs.p99} ms\n` +
        `  ratio ${result.ratio.toFixed(3)} (pairs ${roundRatios.join(", ")})  goal >= ${goal}  ${mark}\n` +
        `  server CPU per request: ${candidate.serverCpuUsPerRequest} µs vs ${baseline.serverCpuUsPerRequest} µs (ratio ${result.serverCpuRatio})\n`,
    );
    const file = writeResult("http", {
      connections,
      secondsPerRun: seconds,
      projectsListed: body.data.projects.length,
      serverVerifierCache: stopped?.verifierCache ?? null,
      results: [result],
    });
    process.stdout.write(`\nwrote ${file}\n`);
    if (profileDir) process.stdout.write(`server CPU profile: ${profileDir}\n`);
    if (!result.pass && process.argv.includes("--check")) process.exitCode = 1; // a missed goal fails only with --check
  } catch (error) {
    if (!error?.measurement) throw error;
    process.stdout.write(`\nNO RESULT: ${error.message}\n`);
    const file = writeResult("http", {
      connections,
      secondsPerRun: seconds,
      results: [{ name: "authenticated GET /v1/projects vs GET /healthz", goal, pass: false, error: error.message, ...error.measurement }],
    });
    process.stdout.write(`wrote ${file}\n`);
    process.exitCode = 1;
  } finally {
    if (child.exitCode === null) {
      await new Promise((resolve) => {
        const timer = setTimeout(() => {
          child.kill();
          resolve();
        }, 5000);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        if (!stopSent && child.connected) child.send("stop");
      });
    }
  }
}
