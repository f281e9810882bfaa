import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { DomainError } from "@latchkey/core";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { sendError } from "./errors.js";

/** The web console's build (packages/web/dist), found from this file in src/http or dist/http alike. */
const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL("../../../web/dist/", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

// The console runs only its own bundle: no inline script, no other origin, and never inside another site's frame
// (the CLI approval page mints tokens with one click).
const PAGE_HEADERS = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/**
 * The console's client-side routes. Only these (and its assets) are the console's: every other path keeps the API's
 * own answers (404 and 414 from the router, the JSON error envelope), except a browser's page at an unknown path.
 */
const PAGES = ["/", "/index.html", "/sign-in", "/setup", "/invite", "/cli-login", "/device", "/teams/*", "/orgs/*"];

/**
 * Whether a request for a path nobody serves is a person's browser opening a page (it asks for HTML, and the path is
 * not the API's nor an asset's): it gets the console's own not-found page, with status 404. Programs (fetch, curl,
 * the SDK) keep the API's JSON 404.
 */
const opensPage = (request: FastifyRequest): boolean => {
  const path = request.url.split("?")[0] ?? "";
  return (
    request.method === "GET" &&
    request.headers.accept?.includes("text/html") === true &&
    !/^\/(v1|assets|\.well-known)(\/|$)/.test(path) &&
    !["/healthz", "/readyz", "/metrics", "/docs"].includes(path)
  );
};

interface Asset {
  body: Buffer;
  type: string;
}

function readAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (statSync(path).size <= 10 * 1024 * 1024) {
        const url = "/" + relative(dir, path).split(sep).join("/");
        assets.set(url, { body: readFileSync(path), type: TYPES[extname(path)] ?? "application/octet-stream" });
      }
    }
  };
  walk(dir);
  return assets;
}

const notBuilt = (dir: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Latchkey</title>
<style>body{font:15px system-ui,sans-serif;margin:3rem auto;max-width:40rem;color:#1f2933}code{background:#eef2f6;padding:.1rem .3rem;border-radius:4px}</style>
</head><body><h1>Latchkey is running; its console is not built</h1>
<p>The API answers at <a href="/v1/openapi.json">/v1</a> (reference: <a href="/docs">/docs</a>), but no web console was found in
<code>${dir.replace(/[&<>"']/g, "")}</code>.</p>
<p>Build it from the repository root with <code>npm run build</code> (it builds the server, the sdk and the console), then restart
the server.</p></body></html>`;

/**
 * The web console at `/`: hashed assets with a year's cache, and index.html (never cached) for the console's
 * client-side routes, so that `/cli-login?sessionToken=...` or a reload of `/teams/acme/settings/roles` loads the app.
 * Without a build the server still starts and those pages say how to build it.
 */
export function createConsole(dir = DEFAULT_CONSOLE_DIR) {
  const built = existsSync(join(dir, "index.html"));
  const assets = built ? readAssets(dir) : new Map<string, Asset>();
  const index = assets.get("/index.html");

  const page = (reply: FastifyReply, status = 200): FastifyReply => {
    void reply.headers(PAGE_HEADERS).header("cache-control", "no-cache");
    if (!index) return reply.code(503).type("text/html; charset=utf-8").send(notBuilt(dir));
    return reply.code(status).type(index.type).send(index.body);
  };

  const asset = (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const path = request.url.split("?")[0] ?? "";
    const found = assets.get(path);
    // A missing file (an old hashed asset) is a 404, not the app: a script tag must not receive HTML.
    if (!found) return sendError(reply, request, new DomainError("NOT_FOUND", `no file ${path}`));
    // Vite names every file under /assets by its content hash: it never changes, so browsers keep it.
    return reply
      .header("cache-control", "public, max-age=31536000, immutable")
      .header("x-content-type-options", "nosniff")
      .type(found.type)
      .send(found.body);
  };

  return {
    /** Registers the console's pages and assets. */
    routes(app: FastifyInstance): void {
      for (const url of PAGES) app.get(url, (_request, reply) => page(reply));
      app.get("/assets/*", asset);
    },
    /** For the not-found handler: the console's own not-found page when a browser opens an unknown page, else null. */
    notFound: (request: FastifyRequest, reply: FastifyReply): FastifyReply | null => (opensPage(request) ? page(reply, 404) : null),
  };
}

/** The console as the app holds it. */
export type Console = ReturnType<typeof createConsole>;
