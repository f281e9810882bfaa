import { DomainError } from "@latchkey/core";
import type { FastifyInstance } from "fastify";

/** The body type of OAuth's endpoints (RFC 6749 appendix B). */
export const FORM_TYPE = "application/x-www-form-urlencoded";

/** OAuth requests are a few fields (an ID token of a few KiB at most): anything larger is refused (413) unread. */
export const MAX_FORM_BYTES = 64 * 1024;
const MAX_FIELDS = 32;

const malformed = (why: string) => new DomainError("VALIDATION_FAILED", `malformed form body: ${why}`, { fields: { body: why } });

const decode = (part: string): string => {
  try {
    return decodeURIComponent(part.replace(/\+/g, " "));
  } catch {
    throw malformed("bad percent-encoding");
  }
};

/**
 * `application/x-www-form-urlencoded` as OAuth sends it (RFC 6749 appendix B): every parameter at most once (a
 * repeated one is refused, RFC 6749 section 3.1), percent-encoding that decodes to UTF-8, a bounded number of fields.
 */
export function parseForm(text: string): Record<string, string> {
  const fields = new Map<string, string>();
  if (text === "") return {};
  for (const pair of text.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const key = decode(eq === -1 ? pair : pair.slice(0, eq));
    const value = decode(eq === -1 ? "" : pair.slice(eq + 1));
    if (fields.has(key)) throw malformed(`parameter ${JSON.stringify(key.slice(0, 64))} repeated`);
    if (fields.size >= MAX_FIELDS) throw malformed(`more than ${MAX_FIELDS} parameters`);
    fields.set(key, value);
  }
  return Object.fromEntries(fields);
}

/** Form bodies, bounded, in one encapsulated scope (the OAuth routes'); JSON and other types are refused there (415). */
export function installFormBody(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser(FORM_TYPE, { parseAs: "string", bodyLimit: MAX_FORM_BYTES }, (_request, body, done) => {
    try {
      done(null, parseForm(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

/** The fields of a parsed form, or what is wrong when the body was not a form at all (JSON, or none). */
export function formFields(body: unknown): { fields: Record<string, string> } | { problem: string } {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    return { problem: "the body must be application/x-www-form-urlencoded" };
  const entries = Object.entries(body as Record<string, unknown>);
  if (entries.some(([, value]) => typeof value !== "string")) return { problem: "the body must be application/x-www-form-urlencoded" };
  return { fields: Object.fromEntries(entries) as Record<string, string> };
}
