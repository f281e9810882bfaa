import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// esbuild's automatic JSX runtime instead of @vitejs/plugin-react: one dependency fewer, and no Fast Refresh is needed
// for a console that is built, not developed against a dev server, in CI.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  esbuild: { jsx: "automatic" },
  resolve: {
    // The sdk's TypeScript directly: the console build does not wait on the sdk's own build.
    alias: { "@latchkey/sdk": fileURLToPath(new URL("../sdk/src/index.ts", import.meta.url)) },
  },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 800 },
  server: { proxy: { "/v1": "http://127.0.0.1:8080" } },
});
