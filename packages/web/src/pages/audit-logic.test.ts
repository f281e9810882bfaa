import { describe, expect, it } from "vitest";
import { absoluteTime, changeOf, diffOf, filtersFromQuery, filtersOfForm, formOf, queryOf } from "./audit-logic";

describe("audit filters in the address", () => {
  it("reads back what it wrote, in one order, whatever order the filters came in", () => {
    const filters = { outcome: "denied" as const, eventType: "apiTokens", after: "2026-03-02T10:00:00.000Z", actor: "a@example.com" };
    const qs = queryOf(filters);
    expect(qs).toBe("?eventType=apiTokens&actor=a%40example.com&outcome=denied&after=2026-03-02T10%3A00%3A00.000Z");
    expect(filtersFromQuery(new URLSearchParams(qs), false)).toEqual(filters);
    expect(queryOf({})).toBe("");
  });

  it("leaves out what the API would refuse, and a token id in a token's own feed", () => {
    const query = new URLSearchParams(
      "outcome=maybe&origin=browser&after=yesterday&before=2026-03-02T10:00:00Z&tokenId=tok_1&eventType=%20roles%20",
    );
    expect(filtersFromQuery(query, false)).toEqual({ before: "2026-03-02T10:00:00.000Z", tokenId: "tok_1", eventType: "roles" });
    expect(filtersFromQuery(query, true)).toEqual({ before: "2026-03-02T10:00:00.000Z", eventType: "roles" });
  });

  it("turns the form into filters and back, times as local time to the minute", () => {
    const form = { ...formOf({}), eventType: "members", origin: "ui", after: "2026-03-02T11:05" };
    const filters = filtersOfForm(form, false);
    expect(filters).toEqual({ eventType: "members", origin: "ui", after: new Date("2026-03-02T11:05").toISOString() });
    expect(formOf(filters)).toEqual(form);
  });
});

describe("absoluteTime", () => {
  it.each([
    ["UTC", "2026-03-02 10:05:09 UTC"],
    ["Europe/Paris", "2026-03-02 11:05:09 CET"],
    ["America/New_York", "2026-03-02 05:05:09 GMT-5"],
  ])("writes the exact time with the zone's name in %s", (zone, expected) => {
    expect(absoluteTime("2026-03-02T10:05:09.123Z", zone)).toBe(expected);
  });

  it("never writes 24 for midnight", () => {
    expect(absoluteTime("2026-03-02T00:00:00.000Z", "UTC")).toBe("2026-03-02 00:00:00 UTC");
  });
});

describe("diffOf: a change field by field", () => {
  it("lists only the fields that changed, nested ones by their path, lists whole", () => {
    const before = { name: "Reader", description: "", permissions: { teamScope: ["team.read"], projectScope: [] } };
    const after = { name: "Reader", description: "reads", permissions: { teamScope: ["team.read", "team.audit.read"], projectScope: [] } };
    expect(diffOf(before, after)).toEqual([
      { field: "description", before: "", after: "reads" },
      { field: "permissions.teamScope", before: '["team.read"]', after: '["team.read","team.audit.read"]' },
    ]);
  });

  it("shows a creation as every field added and a deletion as every field removed", () => {
    expect(diffOf(undefined, { name: "Site", color: null })).toEqual([
      { field: "name", after: "Site" },
      { field: "color", after: "null" },
    ]);
    expect(diffOf({ keyId: "key_1" }, undefined)).toEqual([{ field: "keyId", before: "key_1" }]);
    expect(diffOf({ a: 1 }, { a: 1 })).toEqual([]);
  });

  it("finds a change only in events that record one", () => {
    expect(changeOf({ before: { a: 1 } })).toEqual({ before: { a: 1 }, after: undefined });
    expect(changeOf({ changes: ["team:acme"] })).toBeNull();
  });
});
