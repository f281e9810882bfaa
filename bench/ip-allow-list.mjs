// Cost of a token's IP allow-list decision (access/ip-allow-list.ts ipAllowed over @latchkey/core compileAllowList): a
// new address (parsed and compared) and a repeated one (remembered). Needs the build: npm run build, then
// node bench/ip-allow-list.mjs.
import { compileAllowList } from "../packages/core/dist/index.js";
import { ipAllowed } from "../packages/server/dist/access/ip-allow-list.js";

const lists = {
  "2 blocks": ["203.0.113.0/24", "2001:db8::/32"],
  "100 blocks": Array.from({ length: 100 }, (_, i) => (i % 2 ? `10.${i}.0.0/16` : `2001:db8:${i.toString(16)}::/48`)),
};
const time = (n, fn) => {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  return Number(process.hrtime.bigint() - t0) / n;
};
for (const [name, cidrs] of Object.entries(lists)) {
  const principal = { allowList: compileAllowList(cidrs) };
  const fresh = time(200_000, (i) => ipAllowed(principal, `198.51.${(i >> 8) & 255}.${i & 255}`));
  ipAllowed(principal, "203.0.113.9");
  const repeated = time(2_000_000, () => ipAllowed(principal, "203.0.113.9"));
  console.log(`${name}: new address ${(fresh / 1000).toFixed(1)} µs, repeated address ${repeated.toFixed(0)} ns`);
}
const none = { allowList: undefined };
console.log(`no allow-list: ${time(10_000_000, () => ipAllowed(none, "203.0.113.9")).toFixed(1)} ns`);
