// Two checkouts' servers side by side in one run (issue 14: "the benchmarks do not get slower; compare before and
// after in the same hour"): each checkout's own server, started by its own bench/lib.mjs (build it first), serves
// from a child process of its own; the rounds alternate between the two, so the machine's drift falls on both alike.
// Per round and checkout: server CPU per request (the child's process.cpuUsage) of an authenticated, audited
// `GET /v1/projects`, of an allowed, audited forward auth (`GET /v1/auth/forward?permission=project.read`) and of
// `GET /healthz`, over HTTP with autocannon; and, in the child, ns of CPU per
// `verifier.cached(token)`. Both servers run without a log (`logger: false`) and with the audit durability of the
// environment (LATCHKEY_AUDIT_DURABILITY; set it to buffered to compare with a checkout that had no other).
//   node bench/trees.mjs /work/wt-before /work/main            # prints each round and the medians; writes nothing
//   BENCH_HTTP_SECONDS=3 BENCH_HTTP_ROUNDS=6 node bench/trees.mjs A B
//   node bench/trees.mjs A B --cpu-prof                       # also each server's V8 CPU profile
import { resolve } from "node:path";
import process from "node:process";
import { pathToFileURL, fileURLToPath } from "node:url";
import { alternateRounds, answerParent, forkServer, httpSettings, measureRoute } from "./child-server.mjs";
import { cpuNow } from "./timing.mjs";

const SELF = fileURLToPath(import.meta.url);

if (process.argv[2] === "--serve") {
  const lib = await import(pathToFileURL(resolve(process.argv[3], "bench/lib.mjs")).href);
  const fixture = await lib.startFixture({ projects: 3, build: false, server: { logger: false } });
  const address = await fixture.app.listen({ port: 0, host: "127.0.0.1" });
  const verifier = fixture.services.verifier;
  await verifier.authenticate(fixture.token, "127.0.0.1");
  const cachedNs = () => {
    const n = 200_000;
    for (let i = 0; i < n; i++) verifier.cached(fixture.token, "127.0.0.1");
    const start = cpuNow();
    for (let i = 0; i < n; i++) verifier.cached(fixture.token, "127.0.0.1");
    return { ns: ((cpuNow() - start) * 1000) / n };
  };
  answerParent({ address, token: fixture.token }, { stop: () => fixture.close(), answers: { cached: cachedNs } });
} else {
  const trees = process.argv.slice(2, 4).map((dir) => resolve(dir));
  if (trees.length !== 2) throw new Error("usage: node bench/trees.mjs <checkout A> <checkout B>");
  const { seconds, rounds, connections, warmupSeconds, profileDir } = httpSettings("trees");
  const servers = [];
  for (const [i, dir] of trees.entries()) {
    // --cpu-prof: each server's V8 CPU profile in a folder of its own (A, B) under the temp dir printed at the end.
    const serving = forkServer(SELF, ["--serve", dir], { name: dir, profileDir: profileDir && `${profileDir}/${i === 0 ? "A" : "B"}` });
    servers.push({ dir, serving, ready: await serving.ready });
  }
  const routes = {};
  servers.forEach(({ serving, ready }, i) => {
    const name = i === 0 ? "A" : "B";
    routes[`${name} projects`] = { serving, url: `${ready.address}/v1/projects`, headers: { authorization: `Bearer ${ready.token}` } };
    routes[`${name} forward`] = {
      serving,
      url: `${ready.address}/v1/auth/forward?permission=project.read`,
      headers: { authorization: `Bearer ${ready.token}`, "x-forwarded-method": "GET", "x-forwarded-uri": "/orders/42" },
    };
    routes[`${name} healthz`] = { serving, url: `${ready.address}/healthz`, headers: {} };
    routes[`${name} cached`] = { serving, micro: true };
  });
  const run = async (route, duration) => {
    if (route.micro) return (await route.serving.ask("cached")).ns;
    const r = await measureRoute({ ...route, label: route.url }, { connections, duration, cpuUs: route.serving.cpuUs });
    return r.serverCpuUs / r.requests;
  };
  process.stdout.write(`A = ${trees[0]}\nB = ${trees[1]}\n${rounds} rounds of ${seconds} s per route, ${connections} connections\n`);
  for (const route of Object.values(routes)) await run(route, warmupSeconds);
  const runs = await alternateRounds(Object.keys(routes), rounds, async (key) => {
    const v = await run(routes[key], seconds);
    process.stdout.write(
      `  ${key.padEnd(12)} ${v.toFixed(1).padStart(8)} ${routes[key].micro ? "ns CPU per verifier.cached()" : "µs server CPU per request"}\n`,
    );
    return v;
  });
  for (const { serving } of servers) await serving.stop();
  if (profileDir) process.stdout.write(`server CPU profiles: ${profileDir}/A, ${profileDir}/B\n`);
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  process.stdout.write("\nmedians (B / A per round, then its median):\n");
  for (const what of ["projects", "forward", "healthz", "cached"]) {
    const a = runs[`A ${what}`];
    const b = runs[`B ${what}`];
    const ratios = b.map((v, i) => v / a[i]);
    process.stdout.write(
      `  ${what.padEnd(9)} A ${median(a).toFixed(1)}  B ${median(b).toFixed(1)}  B/A ${ratios.map((r) => r.toFixed(2)).join(" ")}  median ${median(ratios).toFixed(3)}\n`,
    );
  }
}
