// The token hot path, in-process on SQLite (issue 3, "Benchmark"). Three records in bench/results:
//   verifier-cached      a token seen before: verifier.cached() + can(), against one-shot crypto.hash("sha256", token,
//                        "hex"), the floor of any hashed lookup (goal >= 0.7, issue 16);
//   verifier-first-seen  a token this process has not seen: verifier.authenticate() after a resync event on a feed of its own (the JWT's
//                        Ed25519 check AND the store reads of token, keys, team and role), against raw node:crypto
//                        Ed25519 verify of the same token (goal >= 0.8);
//   verifier-jwt         verifyJwt() alone (signature and claims, no store), against the same raw verify (no goal:
//                        what the first-seen path spends outside the store).
// Every candidate does strictly more work than its baseline, so each ratio is bounded by 1 (above 1: noise).
// Both sides of each comparison run in the same process, interleaved.
//   node bench/verifier.mjs            # exit 0 unless something broke
//   node bench/verifier.mjs --check    # exit 1 when a goal is missed
//   node bench/verifier.mjs --quick    # 3 short rounds each, records to a temp dir (BENCH_RESULTS_DIR), not bench/results
import { Buffer } from "node:buffer";
import crypto, { createHash, verify } from "node:crypto";
import process from "node:process";
import { printHeader, QUICK, roundCount, serverModule, startFixture, TEAM_ID, writeResult } from "./lib.mjs";
import { compare, consume, opsPerSec, printComparison } from "./timing.mjs";

const IP = "127.0.0.1";
const PERMISSION = "project.read";

// No HTTP is served here (the verifier is called directly): the seeding requests' log lines would only clutter the report.
const fixture = await startFixture({ server: { logLevel: "warn" } }); // builds core and server first when dist is missing or stale
const { can } = await import("@latchkey/core"); // after the build: it resolves to packages/core/dist
try {
  const { services, token } = fixture;
  const { verifier, keys, lastUsed, store } = services;
  const { verifyJwt, splitToken } = await serverModule("tokens/jwt.js");
  const { sha256, sha256Key, safeEqual } = await serverModule("lib/secrets.js");

  // The first request of a token fills the caches; from then on cached() answers from memory.
  const first = await verifier.authenticate(token, IP);
  const resource = { teamId: TEAM_ID, orgId: null };
  if (!can(first.grants, PERMISSION, resource)) throw new Error("the bench token cannot read projects");
  if (!verifier.cached(token, IP)) throw new Error("verifier.cached() missed after authenticate(): nothing to measure");

  printHeader("Latchkey verifier benchmarks");
  process.stdout.write(`  token: ${token.length} characters\n`);

  // (a) ------------------------------------------------------------------------------------------------------------
  const cachedAuth = () => {
    const principal = verifier.cached(token, IP);
    if (principal === undefined || !can(principal.grants, PERMISSION, resource)) throw new Error("cached path refused the token");
    consume(principal);
  };
  // The floor: the same one-shot digest the cached path takes, in the same form (latin1, one character a byte).
  const sha = () => consume(crypto.hash("sha256", token, "binary"));
  const ms = QUICK ? 100 : 300;
  const hot = await compare({
    name: "cached authenticate + authorize vs crypto.hash SHA-256 of the token",
    candidate: { label: "verifier.cached() + can(project.read)", fn: cachedAuth },
    baseline: { label: 'crypto.hash("sha256", token, "binary")', fn: sha },
    rounds: roundCount(12, 3),
    ms,
    warmupMs: QUICK ? 100 : 500,
  });
  printComparison(hot);

  // (b) ------------------------------------------------------------------------------------------------------------
  const { kid, signingInput, signature } = splitToken(token);
  const publicKey = keys.knownPublicKey(kid);
  if (!publicKey) throw new Error(`no public key for kid ${kid}`);
  const expected = services.issuer.claims();
  const data = Buffer.from(signingInput);
  const rawVerify = () => {
    if (!verify(null, data, publicKey, signature)) throw new Error("raw Ed25519 verify failed");
    consume(true);
  };
  const rawBaseline = { label: "crypto.verify(null, signingInput, key, signature)", fn: rawVerify };
  // The real first-seen path: a resync event (what a process does when its change feed reconnects) drops every cache
  // of the verifier, so authenticate() checks the signature and reads token, keys, team and role from the store.
  // The verifier measured is one of its own, on the server's store and keys but with a feed of its own: a resync on
  // the server's feed would also set off every other listener's work (the webhook worker claims due deliveries on
  // a resync: a write transaction), which a token seen for the first time never causes.
  const { createVerifier } = await serverModule("tokens/verifier.js");
  const listeners = new Set();
  const ownFeed = {
    ...store.feed,
    subscribe: (listener) => (listeners.add(listener), () => listeners.delete(listener)),
    emit: (event) => listeners.forEach((listener) => listener(event)),
  };
  const fresh = createVerifier({
    store: { ...store, feed: ownFeed },
    config: fixture.config,
    nowMs: () => Date.now(),
    keys,
    lastUsed,
    issuer: services.issuer,
  });
  const firstSeen = async () => {
    ownFeed.emit({ t: "resync" });
    const principal = await fresh.authenticate(token, IP);
    if (!can(principal.grants, PERMISSION, resource)) throw new Error("first-seen path refused the token");
    consume(principal);
  };
  const slowRounds = roundCount(10, 3);
  const slowMs = QUICK ? 150 : 400;
  const cold = await compare({
    name: "first-seen authenticate + authorize vs raw Ed25519 verify",
    candidate: { label: "resync, verifier.authenticate() (JWT check + 4 store reads) + can(project.read)", fn: firstSeen },
    baseline: rawBaseline,
    rounds: slowRounds,
    ms: slowMs,
    warmupMs: QUICK ? 100 : 500,
    async: true, // the store reads are promises; the baseline is awaited the same way
  });
  printComparison(cold);
  if (!fresh.cached(token, IP)) throw new Error("the first-seen path did not cache the token: it did not run as a server runs it");

  const jwtOnly = () => consume(verifyJwt(token, keys.knownPublicKey, expected).sub);
  const jwt = await compare({
    name: "verifyJwt alone vs raw Ed25519 verify",
    candidate: { label: "verifyJwt(token, keys.knownPublicKey, {iss, aud})", fn: jwtOnly },
    baseline: rawBaseline,
    rounds: slowRounds,
    ms: slowMs,
    warmupMs: QUICK ? 100 : 500,
  });
  printComparison(jwt);

  // Where the cached path spends its time: each piece alone (informative; not part of the goals).
  const at = Date.now();
  const hash = sha256(token);
  const piece = (fn) => opsPerSec(fn, QUICK ? 50 : 400);
  const breakdown = {
    "verifier.cached() alone": piece(() => consume(verifier.cached(token, IP))),
    "can(grants, project.read, team)": piece(() => consume(can(first.grants, PERMISSION, resource))),
    "sha256Key(token) (secrets.ts; latin1, what the cached path takes)": piece(() => consume(sha256Key(token))),
    "sha256(token) (secrets.ts; hex, what the store keeps)": piece(() => consume(sha256(token))),
    'createHash("sha256").update(token).digest("hex")': piece(() => consume(createHash("sha256").update(token).digest("hex"))),
    "safeEqual(hash, hash) (Buffer.from x2 + timingSafeEqual)": piece(() => consume(safeEqual(hash, hash))),
    "Date.now() (the server's clock)": piece(() => consume(Date.now())),
    "lastUsed.record(id, ms, ip)": piece(() => lastUsed.record(first.tokenId, at, IP)),
    "splitToken(token)": piece(() => consume(splitToken(token).kid)),
  };
  breakdown['crypto.hash("sha256", token, "binary") (the baseline)'] = piece(() => consume(crypto.hash("sha256", token, "binary")));
  process.stdout.write("\nbreakdown of the cached path, each piece alone (ops per CPU second):\n");
  for (const [k, v] of Object.entries(breakdown)) process.stdout.write(`  ${v.toLocaleString("en-US").padStart(12)}  ${k}\n`);

  const common = { unit: "ratio", boundedByOne: true };
  const records = [
    writeResult({
      ...common,
      benchmark: "verifier-cached",
      label:
        'cached token: verifier.cached() + can(project.read), vs crypto.hash("sha256", token, "binary") (one-shot, the floor of a hashed lookup); ops per CPU-second',
      rounds: hot.roundRatios,
      goal: { op: ">=", value: 0.7 },
      method: hot.method,
      details: { tokenChars: token.length, ...hot, breakdownOpsPerCpuSec: breakdown },
    }),
    writeResult({
      ...common,
      benchmark: "verifier-first-seen",
      label:
        "first-seen token on SQLite: verifier.authenticate() with empty caches (Ed25519 JWT check + token, keys, team, role read from the store) + can(), vs raw Ed25519 verify of the token",
      rounds: cold.roundRatios,
      goal: { op: ">=", value: 0.8 },
      method: `${cold.method}; before each call of the candidate a resync event empties the verifier's caches`,
      details: { tokenChars: token.length, ...cold },
    }),
    writeResult({
      ...common,
      benchmark: "verifier-jwt",
      label: "verifyJwt() alone (Ed25519 signature + claims, no store reads), vs raw Ed25519 verify of the token",
      rounds: jwt.roundRatios,
      goal: null,
      method: jwt.method,
      details: { tokenChars: token.length, ...jwt },
    }),
  ];
  // A missed goal is a finding, reported above; with --check it also fails the command (for CI).
  if (process.argv.includes("--check") && records.some((r) => r.verdict === "fail")) process.exitCode = 1;
} finally {
  await fixture.close();
}
