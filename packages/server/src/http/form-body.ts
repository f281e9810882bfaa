import { DomainError } from "@latchkey/core";
import type { FastifyInstance } from "fastify";

/** The most bytes a form body may have: OAuth requests carry a token or two. */
export const MAX_FORM_BYTES = 64 * 1024;
const MAX_FIELDS = 50;

/** A parsed form: each field's values, in order (a field sent twice has two; OAuth refuses that: `formFields`). */
export type FormBody = Record<string, string[]>;

/**
 * Parses `application/x-www-form-urlencoded` bodies (OAuth's endpoints: the token exchange, the device flow,
 * introspection and revocation), at most 64 KiB and 50 fields. Fields keep every value, so that a route can
 * refuse repeated parameters (RFC 6749 section 3.2).
 */
export function installFormBody(app: FastifyInstance): void {
  app.addContentTypeParser(
    "application/x-www-form-urlencoded",
    { parseAs: "string", bodyLimit: MAX_FORM_BYTES },
    (_request, body, done) => {
      const params = new URLSearchParams(body as string);
      const form: FormBody = Object.create(null) as FormBody;
      let count = 0;
      for (const [key, value] of params) {
        if (++count > MAX_FIELDS) {
          done(new DomainError("VALIDATION_FAILED", `a form may have at most ${MAX_FIELDS} fields`), undefined);
          return;
        }
        (form[key] ??= []).push(value);
      }
      done(null, form);
    },
  );
}

/**
 * The fields of a parsed form as single strings; throws `repeated` (a message naming the field) when one was sent
 * more than once, and `notForm` when the body was not a form at all (JSON, or none).
 */
export function formFields(body: unknown): { fields: Record<string, string> } | { problem: string } {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    return { problem: "the body must be application/x-www-form-urlencoded" };
  const fields: Record<string, string> = {};
  for (const [key, values] of Object.entries(body as Record<string, unknown>)) {
    if (!Array.isArray(values) || values.some((v) => typeof v !== "string"))
      return { problem: "the body must be application/x-www-form-urlencoded" };
    if (values.length !== 1) return { problem: `parameter ${key} was sent more than once` };
    fields[key] = values[0] as string;
  }
  return { fields };
}
