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
  // Every operation answers errors in one envelope: described once and referred to (inline, it was half the document).
  const error = { $ref: "#/components/responses/Error" };
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
      responses: {
        Error: {
          description: "Error: `{error: {status, code, message, id, details?}}`",
          content: { "application/json": { schema: schemaOf(ErrorReply, "output") } },
        },
      },
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
        session: { type: "apiKey", in: "cookie", name: "latchkey_session" },
      },
    },
    security: [{ bearer: [] }, { session: [] }],
    paths,
  };
}
