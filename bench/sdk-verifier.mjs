// The SDK verifier's cached path (@latchkey/sdk/verifier): verify() of a token it has seen, answered from memory,
// against the one-shot crypto.hash("sha256", token) of the same token (the floor of any hashed lookup). Both are
// awaited the same way. The verifier talks to a stand-in fetch (a stream that stays open, one check answer): the
// network is not part of the cached path. Run: node bench/sdk-verifier.mjs [--quick]  (after npm run build)
import crypto from "node:crypto";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { printHeader, roundCount, ROOT, writeResult } from "./lib.mjs";

const { createVerifier } = await import(pathToFileURL(join(ROOT, "packages/sdk/dist/verifier/index.js")).href);
printHeader("SDK verifier: cached verify() vs crypto.hash");
const token = `eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.${"x".repeat(200)}.${"y".repeat(86)}`;
const data = {
  valid: true,
  code: "VALID",
  token: { id: "t", name: "n", entityType: "team", entityId: "acme", role: { id: "r", name: "r", type: "team" }, expiresAt: null },
};
const fake = async (url) =>
  String(url).endsWith("/v1/auth/events")
    ? new Response(new ReadableStream({ start() {} }), { status: 200, headers: { "content-type": "text/event-stream" } })
    : new Response(JSON.stringify({ data }), { status: 200, headers: { "content-type": "application/json" } });
const verifier = createVerifier({ url: "http://stand-in", token: "service", fetch: fake });
while (!verifier.streaming()) await new Promise((r) => setTimeout(r, 5));
if (!(await verifier.verify(token)).valid) throw new Error("the stand-in check did not answer valid");

const N = 300_000;
const cpuNsPerOp = async (f) => {
  const start = process.cpuUsage();
  for (let i = 0; i < N; i++) await f();
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / N;
};
const floor = () => crypto.hash("sha256", token, "base64");
const candidate = () => verifier.verify(token);
await cpuNsPerOp(floor);
await cpuNsPerOp(candidate);
const rounds = [];
for (let r = 0; r < roundCount(9, 3); r++) {
  const f = await cpuNsPerOp(floor);
  const c = await cpuNsPerOp(candidate);
  rounds.push(f / c);
  process.stdout.write(`  round ${r + 1}: crypto.hash ${f.toFixed(0)} ns, verify ${c.toFixed(0)} ns, ratio ${(f / c).toFixed(2)}\n`);
}
verifier.close();
writeResult({
  benchmark: "sdk-verifier-cached",
  label: 'SDK verifier: cached verify(token) vs one-shot crypto.hash("sha256", token), both awaited; ops per CPU-second',
  unit: "ratio",
  rounds,
  goal: { op: ">=", value: 0.7 },
  boundedByOne: true,
  method: `${N} calls of each per round, alternating, CPU time (process.cpuUsage); token of ${token.length} characters`,
  details: { tokenChars: token.length, callsPerRound: N },
});
