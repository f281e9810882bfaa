// Audit benchmark, part (2): HTTP throughput of authenticated `GET /v1/projects` on a server with request auditing on
// against the same server built with `auditRequests: false`, alternating; both in one child process (or, with
// `--separate`, one each). Run by bench/audit.mjs, whose `--serve on off` starts such a child.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { answerParent, forkServer } from "./child-server.mjs";
import { openServer, seedFixture, serverModule } from "./lib.mjs";
import { fmt } from "./timing.mjs";

const ENTRY = fileURLToPath(new URL("./audit.mjs", import.meta.url));
const { fetch } = globalThis; // Node >= 18
const out = (s) => process.stdout.write(s);

export const GOAL_HTTP_RATIO = 0.85;

// ---------------------------------------------------------------------------------------------------------------
// Child: HTTP servers (auditing "on", "off" or both, one per port) each on its own SQLite database, with the owner,
// team "acme", three projects and one API token of the team's "default" role (as bench/lib.mjs startFixture, plus
// `auditRequests`). Both in one process by default: they then share the process's place on the machine (its
// thread, its heap, its scheduling), so that what differs between their runs is what auditing costs.
export async function serve(modes) {
  const servers = {};
  for (const mode of modes) {
    const dir = mkdtempSync(join(os.tmpdir(), `latchkey-bench-audit-http-${mode}-`));
    const { app, services } = await openServer({
      databaseUrl: `sqlite:${join(dir, "latchkey.db")}`,
      dataDir: dir,
      auditRequests: mode === "on",
    });
    const { token, tokenId } = await seedFixture(app, services, { projects: 3 });
    if (typeof tokenId !== "string") throw new Error("no token in the reply of POST /v1/teams/acme/tokens");
    servers[mode] = { app, services, dir, token, tokenId, address: await app.listen({ port: 0, host: "127.0.0.1" }) };
  }
  const ready = { servers: Object.fromEntries(Object.entries(servers).map(([mode, { address, token }]) => [mode, { address, token }])) };
  answerParent(ready, {
    stop: async () => {
      // Everything served must be in the token's feed once the buffer is written out.
      const audit = {};
      for (const [mode, { app, services, dir, tokenId }] of Object.entries(servers)) {
        await services.audit.buffer.flush();
        const { auditOf } = await serverModule("audit/repository.js");
        const requestEvents = await auditOf(services.store).requestsStored([`token:${tokenId}`]);
        const head = await auditOf(services.store).head(`token:${tokenId}`);
        audit[mode] = {
          requestEvents,
          feedHeadSeq: head?.seq ?? 0,
          bufferFailing: services.audit.buffer.failing(),
          // Group commits (LATCHKEY_AUDIT_DURABILITY=commit): writes that held replies, their events, the largest.
          groups: services.audit.buffer.groups(),
        };
        await app.close();
        rmSync(dir, { recursive: true, force: true });
      }
      return { audit };
    },
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Parent: both servers, autocannon against each in turn.

function startChild(modes, profileDir) {
  const name = modes.join("+");
  // The servers log as served; their stdout is read and discarded as a log collector would.
  return forkServer(ENTRY, ["--serve", ...modes], { name: `"${name}" server`, profileDir: profileDir ? join(profileDir, name) : null });
}

/**
 * Settings: `seconds` per run, `rounds` of one run per server, `connections`, `warmupSeconds`; `cpuProfile` also profiles the servers;
 * `separate` puts each server in a process of its own.
 */
export async function httpCompare({ seconds, rounds, connections, cpuProfile, separate, warmupSeconds = 2 }) {
  const { default: autocannon } = await import("autocannon");
  const profileDir = cpuProfile ? mkdtempSync(join(os.tmpdir(), "latchkey-audit-prof-")) : null;
  const both = separate ? null : startChild(["on", "off"], profileDir);
  const servers = both ? { on: both, off: both } : { on: startChild(["on"], profileDir), off: startChild(["off"], profileDir) };
  if (profileDir) out(`  server CPU profiles: ${profileDir}/${separate ? "{on,off}" : "on+off"}\n`);
  const children = [...new Set(Object.values(servers))];
  const label = { on: "auditing on ", off: "auditing off" };
  const served = { on: 0, off: 0 };
  try {
    const ready = {};
    for (const c of children) Object.assign(ready, (await c.ready).servers);
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

    const warm = [await run("on", warmupSeconds), await run("off", warmupSeconds)];
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
    const stopped = {};
    for (const c of children) Object.assign(stopped, (await c.stop())?.audit);

    const side = (mode) => {
      const rs = runs.filter((r) => r.mode === mode);
      const total = rs.reduce((n, r) => n + r.requests, 0);
      const secs = rs.reduce((n, r) => n + r.seconds, 0);
      const cpu = rs.reduce((n, r) => n + r.serverCpuUsPerRequest * r.requests, 0);
      const mid = (k) => {
        const v = rs.map((r) => r.latencyMs[k]).sort((x, y) => x - y);
        return v[v.length >> 1];
      };
      return {
        label: `GET /v1/projects (Bearer), ${mode === "on" ? `request auditing on (${process.env.LATCHKEY_AUDIT_DURABILITY ?? "commit"})` : "auditRequests: false"}`,
        reqPerSec: Math.round(total / secs),
        serverCpuUsPerRequest: +(cpu / total).toFixed(1),
        // The median over rounds of each round's p50 and p99 (autocannon, ms).
        latencyMs: { p50: mid("p50"), p99: mid("p99") },
        rounds: rs.map((r) => ({
          reqPerSec: Math.round(r.reqPerSec),
          serverCpuUsPerRequest: +r.serverCpuUsPerRequest.toFixed(1),
          latencyMs: r.latencyMs,
        })),
      };
    };
    const candidate = side("on");
    const baseline = side("off");
    const pairRatios = [];
    // Per round, server CPU per request off / on: what auditing costs the server, less moved by the machine's load
    // than req/s (the client shares the cores).
    const cpuPairRatios = [];
    for (let i = 0; i + 1 < runs.length; i += 2) {
      const [a, b] = runs[i].mode === "on" ? [runs[i], runs[i + 1]] : [runs[i + 1], runs[i]];
      pairRatios.push(+(a.reqPerSec / b.reqPerSec).toFixed(3));
      cpuPairRatios.push(+(b.serverCpuUsPerRequest / a.serverCpuUsPerRequest).toFixed(3));
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
    const auditOn = stopped.on ?? null;
    const auditOff = stopped.off ?? null;
    const everyRequestAudited = auditOn !== null && auditOn.requestEvents >= served.on && auditOn.feedHeadSeq === auditOn.requestEvents;
    const baselineUnaudited = auditOff !== null && auditOff.requestEvents === 0;
    const clean = refused.non2xx === 0 && refused.errors === 0 && refused.timeouts === 0;
    return {
      name: "authenticated GET /v1/projects, request auditing on vs off",
      candidate,
      baseline,
      pairRatios,
      cpuPairRatios,
      totalsRatio: +(candidate.reqPerSec / baseline.reqPerSec).toFixed(3),
      serverCpuRatio: +(baseline.serverCpuUsPerRequest / candidate.serverCpuUsPerRequest).toFixed(3),
      ...refused,
      statusCodes,
      requestsIncludingWarmup,
      audit: {
        served2xxByAuditedServer: served.on,
        ...(auditOn ?? {}),
        meanGroupSize: auditOn?.groups?.writes ? +(auditOn.groups.events / auditOn.groups.writes).toFixed(1) : null,
        meanGroupWriteMs: auditOn?.groups?.writes ? +(auditOn.groups.ms / auditOn.groups.writes).toFixed(2) : null,
        everyRequestAudited,
        baselineWroteNoEvents: baselineUnaudited,
      },
      verified: clean && everyRequestAudited && baselineUnaudited,
      failedCheck:
        (!clean ? `non-2xx ${refused.non2xx}, errors ${refused.errors}, timeouts ${refused.timeouts}; ` : "") +
          (!everyRequestAudited ? "a served request of the audited server has no event; " : "") +
          (!baselineUnaudited ? "the server without auditing wrote events" : "") || undefined,
      method:
        `${separate ? "two child processes" : "two servers in one child process, on two ports"}, each on its own SQLite database, one built with auditRequests: false; autocannon ${connections} connections, ` +
        `pipelining 1, ${rounds} rounds of ${seconds} s per server, order alternating (on off off on ...), after ${warmupSeconds} s warm-up each; ` +
        "a round's value (pairRatios) = req/s on / req/s off of its two adjacent runs; totalsRatio = all requests / all seconds (on) over the same (off); " +
        "serverCpuRatio = off/on server CPU per request; a pass also needs zero non-2xx/errors/timeouts (incl. warm-up), every 2xx of the audited server in its feed, no event on the other",
    };
  } finally {
    await Promise.all(children.map((c) => c.stop().catch(() => undefined)));
  }
}

/** The comparison, as printed (the verdict is printed with the record). */
export function printHttp(r) {
  out(
    `\n${r.name}\n` +
      `  candidate  auditing on   ${fmt(r.candidate.reqPerSec).padStart(7)} req/s  server ${r.candidate.serverCpuUsPerRequest} µs CPU/req  p50 ${r.candidate.latencyMs.p50} ms  p99 ${r.candidate.latencyMs.p99} ms\n` +
      `  baseline   auditing off  ${fmt(r.baseline.reqPerSec).padStart(7)} req/s  server ${r.baseline.serverCpuUsPerRequest} µs CPU/req  p50 ${r.baseline.latencyMs.p50} ms  p99 ${r.baseline.latencyMs.p99} ms\n` +
      `  per-round ratios ${r.pairRatios.join(", ")} (all rounds' totals: ${r.totalsRatio})   server CPU ratio ${r.serverCpuRatio}\n` +
      `  per-round server CPU ratios (off/on) ${r.cpuPairRatios.join(", ")}\n` +
      `  group commits: ${r.audit.groups ? `${fmt(r.audit.groups.writes)} writes, ${fmt(r.audit.groups.events)} events, mean ${r.audit.meanGroupSize}, largest ${r.audit.groups.largest}, mean write ${r.audit.meanGroupWriteMs} ms` : "none"}\n` +
      `  non-2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts}; audited server: ${fmt(r.audit.served2xxByAuditedServer)} served 2xx, ` +
      `${fmt(r.audit.requestEvents ?? 0)} request events (${r.audit.everyRequestAudited ? "every request audited" : "MISSING EVENTS"}); ` +
      `baseline wrote ${r.audit.baselineWroteNoEvents ? "no" : "SOME"} events\n`,
  );
}
