import type { ZodType } from "zod";

/**
 * Test mode (the harness turns it on): every JSON reply of a registered route is checked against the route's `reply`
 * schema, the one the OpenAPI document and the SDK's types come from, so that a reply cannot drift from its contract
 * unnoticed. A mismatch is a 500 (the test expecting a 200 fails) and is printed with the fields that differ.
 */
export function checkReply(route: string, reply: ZodType, list: boolean, result: unknown): void {
  const items = list ? (result as { items: unknown[] }).items : [result];
  for (const item of items) {
    const checked = reply.safeParse(item);
    if (checked.success) continue;
    const fields = checked.error.issues.map((i) => `${i.path.join(".") || "(reply)"}: ${i.message}`).join("; ");
    console.error(`reply of ${route} does not match its schema: ${fields}`);
    throw new Error(`reply of ${route} does not match its schema: ${fields}`);
  }
}
