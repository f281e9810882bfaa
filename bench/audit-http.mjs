// Audit benchmark, part (2): HTTP throughput of authenticated `GET /v1/projects` on a server with request auditing on
// against the same server built with `auditRequests: false`, each in a child process, alternating. Run by
// bench/audit.mjs, whose `--serve on|off` starts one such child.
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import process from "node:process";
import { clearTimeout, setTimeout } from "node:timers";
import { fileURLToPath } from "node:url";
import { openServer, seedFixture } from "./lib.mjs";
import { cpuNow, fmt } from "./timing.mjs";

const ENTRY = fileURLToPath(new URL("./audit.mjs", import.meta.url));
const { fetch } = globalThis; // Node >= 18
const out = (s) => process.stdout.write(s);

export const GOAL_HTTP_RATIO = 0.85;

// ---------------------------------------------------------------------------------------------------------------
// Child: one HTTP server (auditing "on" or "off") on its own SQLite database, with the owner, team "acme", three
// projects and one API token of the team's "default" role (as bench/lib.mjs startFixture, plus `auditRequests`).
export async function serve(auditRequests) {
  const dir = mkdtempSync(join(os.tmpdir(), `latchkey-bench-audit-http-${auditRequests ? "on" : "off"}-`));
  const { app, services } = await openServer({ databaseUrl: `sqlite:${join(dir, "latchkey.db")}`, dataDir: dir, auditRequests });
  const { token, tokenId } = await seedFixture(app, services, { projects: 3 });
  if (typeof tokenId !== "string") throw new Error("no token in the reply of POST /v1/teams/acme/tokens");
  const address = await app.listen({ port: 0, host: "127.0.0.1" });
  process.on("message", async (message) => {
    if (message === "cpu") {
      process.send?.({ cpuUs: cpuNow() });
    } else if (message === "stop") {
      // Everything served must be in the token's feed once the buffer is written out.
      await services.audit.buffer.flush();
      const { kysely } = services.store.db;
      const row = await kysely
        .selectFrom("audit_segments")
        .select((eb) => eb.fn.sum(eb(eb("last_seq", "-", eb.ref("first_seq")), "+", 1)).as("n"))
        .where("feed", "=", `token:${tokenId}`)
        .executeTakeFirstOrThrow();
      const head = await services.store.audit.head(`token:${tokenId}`);
      const audit = { requestEvents: Number(row.n), feedHeadSeq: head?.seq ?? 0, bufferFailing: services.audit.buffer.failing() };
      await app.close();
      rmSync(dir, { recursive: true, force: true });
      process.send?.({ stopped: true, audit }, () => process.exit(0));
    }
  });
  process.send?.({ address, token });
}

// ---------------------------------------------------------------------------------------------------------------
// Parent: both servers, autocannon against each in turn.

function startChild(mode, profileDir) {
  const child = fork(ENTRY, ["--serve", mode], {
    execArgv: profileDir ? ["--cpu-prof", `--cpu-prof-dir=${join(profileDir, mode)}`] : [],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const ready = new Promise((resolve, reject) => {
    child.once("message", resolve);
    child.once("exit", (code) => reject(new Error(`the "${mode}" server exited early (${code})`)));
  });
  const ask = (message) =>
    new Promise((resolve) => {
      child.once("message", resolve);
      child.send(message);
    });
  const stop = async () => {
    if (child.exitCode !== null || !child.connected) return null;
    const timer = setTimeout(() => child.kill(), 10_000);
    try {
      const reply = await Promise.race([ask("stop"), new Promise((resolve) => child.once("exit", () => resolve(null)))]);
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", resolve)));
      return reply;
    } finally {
      clearTimeout(timer);
    }
  };
  return { mode, child, ready, ask, stop };
}

/** Settings: `seconds` per run, `rounds` of one run per server, `connections`; `cpuProfile` also profiles both servers. */
export async function httpCompare({ seconds, rounds, connections, cpuProfile }) {
  const { default: autocannon } = await import("autocannon");
  const profileDir = cpuProfile ? mkdtempSync(join(os.tmpdir(), "latchkey-audit-prof-")) : null;
  if (profileDir) out(`  server CPU profiles: ${profileDir}/{on,off}\n`);
  const servers = { on: startChild("on", profileDir), off: startChild("off", profileDir) };
  const label = { on: "auditing on ", off: "auditing off" };
  const served = { on: 0, off: 0 };
  try {
    const ready = { on: await servers.on.ready, off: await servers.off.ready };
    for (const mode of ["on", "off"]) {
      const res = await fetch(`${ready[mode].address}/v1/projects`, { headers: { authorization: `Bearer ${ready[mode].token}` } });
      const body = await res.json();
      if (res.status !== 200 || !Array.isArray(body?.data?.projects) || body.data.projects.length !== 3)
        throw new Error(`${mode}: GET /v1/projects -> ${res.status} ${JSON.stringify(body)}`);
      served[mode]++;
    }

    const run = async (mode, duration) => {
      const { address, token } = ready[mode];
      const cpu0 = (await servers[mode].ask("cpu")).cpuUs;
      const r = await autocannon({
        url: `${address}/v1/projects`,
        headers: { authorization: `Bearer ${token}` },
        connections,
        duration,
        pipelining: 1,
      });
      const cpu = (await servers[mode].ask("cpu")).cpuUs - cpu0;
      const statusCodes = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, v]) => [code, v.count]));
      served[mode] += r["2xx"];
      return {
        mode,
        requests: r.requests.total,
        ok2xx: r["2xx"],
        non2xx: r.non2xx,
        errors: r.errors,
        timeouts: r.timeouts,
        statusCodes,
        seconds: r.duration,
        reqPerSec: r.requests.total / r.duration,
        serverCpuUsPerRequest: cpu / Math.max(r.requests.total, 1),
        serverCpuShare: cpu / 1e6 / r.duration,
        latencyMs: { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max },
      };
    };

    const warm = [await run("on", 2), await run("off", 2)];
    const runs = [];
    for (let round = 0; round < rounds; round++) {
      for (const mode of round % 2 === 0 ? ["on", "off"] : ["off", "on"]) {
        const r = await run(mode, seconds);
        runs.push(r);
        out(
          `  ${label[mode]}  ${fmt(r.reqPerSec).padStart(7)} req/s  p50 ${r.latencyMs.p50} ms  p99 ${r.latencyMs.p99} ms  ` +
            `server ${r.serverCpuUsPerRequest.toFixed(0)} µs CPU/req (${r.serverCpuShare.toFixed(2)} cores)` +
            `${r.non2xx + r.errors + r.timeouts > 0 ? `  NON-2XX ${JSON.stringify(r.statusCodes)} errors ${r.errors} timeouts ${r.timeouts}` : ""}\n`,
        );
      }
    }
    const stopped = { on: await servers.on.stop(), off: await servers.off.stop() };

    const side = (mode) => {
      const rs = runs.filter((r) => r.mode === mode);
      const total = rs.reduce((n, r) => n + r.requests, 0);
      const secs = rs.reduce((n, r) => n + r.seconds, 0);
      const cpu = rs.reduce((n, r) => n + r.serverCpuUsPerRequest * r.requests, 0);
      return {
        label: `GET /v1/projects (Bearer), ${mode === "on" ? "request auditing on" : "auditRequests: false"}`,
        reqPerSec: Math.round(total / secs),
        serverCpuUsPerRequest: +(cpu / total).toFixed(1),
        rounds: rs.map((r) => ({
          reqPerSec: Math.round(r.reqPerSec),
          serverCpuUsPerRequest: +r.serverCpuUsPerRequest.toFixed(1),
          latencyMs: r.latencyMs,
        })),
      };
    };
    const candidate = side("on");
    const baseline = side("off");
    const ratio = candidate.reqPerSec / baseline.reqPerSec;
    const pairRatios = [];
    for (let i = 0; i + 1 < runs.length; i += 2) {
      const [a, b] = runs[i].mode === "on" ? [runs[i], runs[i + 1]] : [runs[i + 1], runs[i]];
      pairRatios.push(+(a.reqPerSec / b.reqPerSec).toFixed(3));
    }
    const all = [...warm, ...runs];
    const sum = (mode, k) => all.filter((r) => r.mode === mode).reduce((n, r) => n + r[k], 0);
    const refused = {
      non2xx: sum("on", "non2xx") + sum("off", "non2xx"),
      errors: sum("on", "errors") + sum("off", "errors"),
      timeouts: sum("on", "timeouts") + sum("off", "timeouts"),
    };
    const statusCodes = {};
    for (const r of all)
      for (const [c, n] of Object.entries(r.statusCodes)) statusCodes[`${r.mode} ${c}`] = (statusCodes[`${r.mode} ${c}`] ?? 0) + n;
    // Every 2xx answered by the audited server must be in its token's feed (a few more may be there: requests
    // served after autocannon stopped waiting); the other server must have written none.
    const requestsIncludingWarmup = { on: sum("on", "requests"), off: sum("off", "requests") }; // for per-request profiles
    const auditOn = stopped.on?.audit ?? null;
    const auditOff = stopped.off?.audit ?? null;
    const everyRequestAudited = auditOn !== null && auditOn.requestEvents >= served.on && auditOn.feedHeadSeq === auditOn.requestEvents;
    const baselineUnaudited = auditOff !== null && auditOff.requestEvents === 0;
    const clean = refused.non2xx === 0 && refused.errors === 0 && refused.timeouts === 0;
    return {
      name: "authenticated GET /v1/projects, request auditing on vs off",
      candidate,
      baseline,
      ratio: +ratio.toFixed(3),
      pairRatios,
      serverCpuRatio: +(baseline.serverCpuUsPerRequest / candidate.serverCpuUsPerRequest).toFixed(3),
      ...refused,
      statusCodes,
      requestsIncludingWarmup,
      audit: { served2xxByAuditedServer: served.on, ...(auditOn ?? {}), everyRequestAudited, baselineWroteNoEvents: baselineUnaudited },
      goal: GOAL_HTTP_RATIO,
      verified: clean && everyRequestAudited && baselineUnaudited,
      pass: ratio >= GOAL_HTTP_RATIO && clean && everyRequestAudited && baselineUnaudited,
      method:
        `two child processes on their own SQLite databases, one built with auditRequests: false; autocannon ${connections} connections, ` +
        `pipelining 1, ${rounds} rounds of ${seconds} s per server, order alternating (on off off on ...), after 2 s warm-up each; ` +
        "ratio = total requests / total seconds (on) over the same (off); pairRatios = adjacent runs; serverCpuRatio = off/on server CPU per request; " +
        "pass needs the ratio, zero non-2xx/errors/timeouts (incl. warm-up), every 2xx of the audited server in its feed, no event on the other",
    };
  } finally {
    await Promise.all([servers.on.stop().catch(() => undefined), servers.off.stop().catch(() => undefined)]);
  }
}

/** The comparison, as printed. */
export function printHttp(r) {
  out(
    `\n${r.name}\n` +
      `  candidate  auditing on   ${fmt(r.candidate.reqPerSec).padStart(7)} req/s  server ${r.candidate.serverCpuUsPerRequest} µs CPU/req\n` +
      `  baseline   auditing off  ${fmt(r.baseline.reqPerSec).padStart(7)} req/s  server ${r.baseline.serverCpuUsPerRequest} µs CPU/req\n` +
      `  ratio ${r.ratio.toFixed(3)} (pairs ${r.pairRatios.join(", ")})  goal >= ${r.goal}  ${r.ratio >= r.goal ? "PASS" : "FAIL"}   server CPU ratio ${r.serverCpuRatio}\n` +
      `  non-2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts}; audited server: ${fmt(r.audit.served2xxByAuditedServer)} served 2xx, ` +
      `${fmt(r.audit.requestEvents ?? 0)} request events (${r.audit.everyRequestAudited ? "every request audited" : "MISSING EVENTS"}); ` +
      `baseline wrote ${r.audit.baselineWroteNoEvents ? "no" : "SOME"} events\n`,
  );
}
