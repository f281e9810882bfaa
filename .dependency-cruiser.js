// The server's folders and the direction each may import, checked by `npm run lint` (docs/architecture.md draws the
// same map). Each folder lists what it may import; everything else of ours is forbidden.
const SRC = "^packages/server/src/";
const TESTS = "(\\.test\\.ts$|/test-support/|/security/support\\.ts$)";

/** A folder (or a root file) may import only itself and the ones listed. */
const only = (name, folder, allowed) => ({
  name,
  severity: "error",
  comment: `${folder} may import only ${allowed.length ? allowed.join(", ") : "nothing of ours"}`,
  from: { path: `${SRC}${folder}`, pathNot: TESTS },
  to: { path: SRC, pathNot: [`${SRC}${folder}`, ...allowed.map((a) => `${SRC}${a}`)] },
});

export default {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "no module reaches itself again through its imports, type imports included",
      from: { pathNot: TESTS },
      to: { circular: true },
    },
    // A migration is frozen history: it imports nothing that later changes.
    only("migrations-are-frozen", "store/migrations/", []),
    only("config-is-a-leaf", "config\\.ts$", []),
    only("lib-is-a-leaf", "lib/", []),
    only("store", "store/", ["lib/", "config\\.ts$"]),
    only("access", "access/", ["store/", "lib/"]),
    only("audit", "audit/", ["access/", "store/", "lib/", "config\\.ts$"]),
    only("tokens", "tokens/", ["access/", "store/", "lib/", "config\\.ts$"]),
    only("services", "services/", ["tokens/", "audit/", "access/", "store/", "lib/", "config\\.ts$"]),
    only("http", "http/", ["services/", "audit/", "access/", "store/", "lib/", "config\\.ts$"]),
    {
      name: "only-app-serves-http",
      severity: "error",
      comment: "routes are mounted by app.ts alone (tests and their harness aside)",
      from: { path: SRC, pathNot: [`${SRC}http/`, `${SRC}app\\.ts$`, TESTS] },
      to: { path: `${SRC}http/` },
    },
    {
      name: "test-support-for-tests",
      severity: "error",
      comment: "the test harness is for tests only",
      from: { path: SRC, pathNot: TESTS },
      to: { path: `${SRC}test-support/` },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(dist|node_modules)/" },
    tsPreCompilationDeps: true,
  },
};
