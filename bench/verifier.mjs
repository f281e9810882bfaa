// The token hot path, in-process (issue 3, "Benchmark"):
//   (a) cached authenticate + authorize of a token seen before, against SHA-256 of the token string (goal >= 0.7);
//   (b) first-seen verification (verifyJwt) against raw node:crypto Ed25519 verify of the same input (goal >= 0.8).
// Both sides of each comparison run in the same process, interleaved. Writes bench/results/verifier.json.
//   node bench/verifier.mjs            # exit 0 unless something broke
//   node bench/verifier.mjs --check    # exit 1 when a goal is missed
import { Buffer } from "node:buffer";
import crypto, { createHash, verify } from "node:crypto";
import process from "node:process";
import { printHeader, serverModule, startFixture, TEAM_ID, writeResult } from "./lib.mjs";
import { compare, consume, opsPerSec, printComparison } from "./timing.mjs";

const IP = "127.0.0.1";
const PERMISSION = "project.read";

const fixture = await startFixture(); // builds core and server first when dist is missing or stale
const { can } = await import("@latchkey/core"); // after the build: it resolves to packages/core/dist
try {
  const { services, config, token } = fixture;
  const { verifier, keys, lastUsed } = services;
  const { verifyJwt, splitToken } = await serverModule("tokens/jwt.js");
  const { sha256, safeEqual } = await serverModule("services/secrets.js");

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
  const sha = () => consume(createHash("sha256").update(token).digest("hex"));
  const hot = await compare({
    name: "cached authenticate + authorize vs SHA-256 of the token",
    candidate: { label: "verifier.cached() + can(project.read)", fn: cachedAuth },
    baseline: { label: 'createHash("sha256").update(token).digest("hex")', fn: sha },
    goal: 0.7,
  });
  printComparison(hot);

  // (b) ------------------------------------------------------------------------------------------------------------
  const { kid, signingInput, signature } = splitToken(token);
  const publicKey = keys.knownPublicKey(kid);
  if (!publicKey) throw new Error(`no public key for kid ${kid}`);
  const expected = { iss: config.publicUrl, aud: `${config.publicUrl}/v1` };
  const data = Buffer.from(signingInput);
  const firstSeen = () => consume(verifyJwt(token, keys.knownPublicKey, expected).sub);
  const rawVerify = () => {
    if (!verify(null, data, publicKey, signature)) throw new Error("raw Ed25519 verify failed");
    consume(true);
  };
  const cold = await compare({
    name: "first-seen verification vs raw Ed25519 verify",
    candidate: { label: "verifyJwt(token, keys.knownPublicKey, {iss, aud})", fn: firstSeen },
    baseline: { label: "crypto.verify(null, signingInput, key, signature)", fn: rawVerify },
    goal: 0.8,
    rounds: 10,
    ms: 400,
  });
  printComparison(cold);

  // Where the cached path spends its time: each piece alone (informative; not part of the goals).
  const at = Date.now();
  const hash = sha256(token);
  const breakdown = {
    "verifier.cached() alone": opsPerSec(() => consume(verifier.cached(token, IP))),
    "can(grants, project.read, team)": opsPerSec(() => consume(can(first.grants, PERMISSION, resource))),
    "sha256(token) (secrets.ts)": opsPerSec(() => consume(sha256(token))),
    "safeEqual(hash, hash) (Buffer.from x2 + timingSafeEqual)": opsPerSec(() => consume(safeEqual(hash, hash))),
    "Date.now() (the server's clock)": opsPerSec(() => consume(Date.now())),
    "lastUsed.record(id, ms, ip)": opsPerSec(() => lastUsed.record(first.tokenId, at, IP)),
    "splitToken(token)": opsPerSec(() => consume(splitToken(token).kid)),
  };
  // One-shot hashing (Node >= 20.12), for comparison with createHash().update().digest().
  if (typeof crypto.hash === "function")
    breakdown['crypto.hash("sha256", token, "hex")'] = opsPerSec(() => consume(crypto.hash("sha256", token, "hex")));
  process.stdout.write("\nbreakdown of the cached path, each piece alone (ops per CPU second):\n");
  for (const [k, v] of Object.entries(breakdown)) process.stdout.write(`  ${v.toLocaleString("en-US").padStart(12)}  ${k}\n`);

  const file = writeResult("verifier", { tokenChars: token.length, results: [hot, cold], breakdownOpsPerCpuSec: breakdown });
  process.stdout.write(`\nwrote ${file}\n`);
  // A missed goal is a finding, reported above; with --check it also fails the command (for CI).
  if (process.argv.includes("--check") && ![hot, cold].every((r) => r.pass)) process.exitCode = 1;
} finally {
  await fixture.close();
}
