import { ErrorReply, Pagination } from "@latchkey/core";
import { z, type ZodType } from "zod";
import type { RouteDoc } from "./route.js";

type JsonSchema = Record<string, unknown>;

const schemaOf = (schema: ZodType, io: "input" | "output"): JsonSchema => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any" }) as JsonSchema;
  return rest;
};

function parameters(schema: ZodType | undefined, where: "path" | "query"): JsonSchema[] {
  if (!schema) return [];
  const json = schemaOf(schema, "input") as { properties?: Record<string, JsonSchema>; required?: string[] };
  // A parameter's description and deprecation belong to the parameter in OpenAPI (renderers show them there).
  return Object.entries(json.properties ?? {}).map(([name, { description, deprecated, ...s }]) => ({
    name,
    in: where,
    required: where === "path" || (json.required ?? []).includes(name),
    ...(description === undefined ? {} : { description }),
    ...(deprecated === true ? { deprecated: true } : {}),
    schema: s,
  }));
}

function successSchema(doc: RouteDoc): JsonSchema {
  const item = schemaOf(doc.reply, "output");
  if (doc.list === undefined) return { type: "object", required: ["data"], properties: { data: item } };
  return {
    type: "object",
    required: ["data", "pagination"],
    properties: {
      data: { type: "object", required: [doc.list], properties: { [doc.list]: { type: "array", items: item } } },
      pagination: schemaOf(Pagination, "output"),
    },
  };
}

/** The OpenAPI 3.1 document of every registered route, generated from the same zod schemas that validate them. */
export function buildOpenApi(docs: readonly RouteDoc[], serverUrl: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const error = { description: "Error", content: { "application/json": { schema: schemaOf(ErrorReply, "output") } } };
  for (const doc of docs) {
    const path = doc.url.replace(/:([A-Za-z]+)/g, "{$1}");
    const pathParams = parameters(doc.params, "path").filter((p) => path.includes(`{${String(p["name"])}}`));
    const operation: JsonSchema = {
      summary: doc.summary,
      tags: doc.tags,
      ...(doc.permission ? { description: `Needs permission \`${doc.permission}\`.`, "x-permission": doc.permission } : {}),
      ...(doc.auth === "none" ? { security: [] } : {}),
      parameters: [...pathParams, ...parameters(doc.query, "query")],
      ...(doc.body ? { requestBody: { required: true, content: { "application/json": { schema: schemaOf(doc.body, "input") } } } } : {}),
      responses: {
        "200": { description: "Success", content: { "application/json": { schema: successSchema(doc) } } },
        "400": error,
        ...(doc.auth === "none" ? {} : { "401": error, "403": error }),
        "404": error,
      },
    };
    (paths[path] ??= {})[doc.method.toLowerCase()] = operation;
  }
  return {
    openapi: "3.1.0",
    info: { title: "Latchkey API", version: "1", description: "API tokens governed by RBAC roles. Every success is 200 {data}." },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
        session: { type: "apiKey", in: "cookie", name: "latchkey_session" },
      },
    },
    security: [{ bearer: [] }, { session: [] }],
    paths,
  };
}

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A self-contained HTML page listing every operation (no scripts from elsewhere: the server may be offline). */
export function docsPage(doc: JsonSchema): string {
  const paths = doc["paths"] as Record<string, Record<string, { summary: string; tags: string[]; "x-permission"?: string }>>;
  const rows: string[] = [];
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops)) {
      rows.push(
        `<tr><td><code>${method.toUpperCase()}</code></td><td><code>${escape(path)}</code></td><td>${escape(op.summary)}</td>` +
          `<td>${op["x-permission"] ? `<code>${escape(op["x-permission"])}</code>` : ""}</td><td>${escape(op.tags.join(", "))}</td></tr>`,
      );
    }
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Latchkey API</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem;max-width:70rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.35rem;text-align:left;vertical-align:top}code{font-size:13px}</style>
</head><body><h1>Latchkey API v1</h1><p>The machine-readable document is <a href="/v1/openapi.json">/v1/openapi.json</a> (OpenAPI 3.1).
Every success is HTTP 200 with <code>{"data": ...}</code>; errors are <code>{"error": {status, code, message, id, details}}</code>.</p>
<table><thead><tr><th>Method</th><th>Path</th><th>What it does</th><th>Permission</th><th>Group</th></tr></thead><tbody>
${rows.join("\n")}
</tbody></table></body></html>`;
}
