import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SLUG_MAX, SLUG_PATTERN, slugify } from "./slug.js";

describe("slugify", () => {
  it.each([
    // plain names
    ["Platform Team!", "platform-team"],
    ["platform", "platform"],
    ["Team 42", "team-42"],
    ["42", "42"],
    ["already-a-slug", "already-a-slug"],
    // separators collapse into one hyphen, none at either end
    ["  padded  ", "padded"],
    ["snake_case_name", "snake-case-name"],
    ["dots.and/slashes\\too", "dots-and-slashes-too"],
    ["a -- b", "a-b"],
    ["--leading and trailing--", "leading-and-trailing"],
    ["tab\tand\nnewline", "tab-and-newline"],
    ["CamelCase", "camelcase"],
    // accents and compatibility forms fold to ASCII
    ["Café Crème", "cafe-creme"],
    ["Ångström", "angstrom"],
    ["Ñandú", "nandu"],
    ["İstanbul", "istanbul"],
    ["ﬁle", "file"],
    ["ＡＢＣ１２３", "abc123"],
    ["①②③", "123"],
    ["Ⅻ", "xii"],
    ["x²", "x2"],
    // what cannot be folded is dropped
    ["🚀 Launch", "launch"],
    ["Ops 🚀 Team", "ops-team"],
    ["日本語 team", "team"],
    // nothing usable
    ["", ""],
    ["   ", ""],
    ["---", ""],
    ["!!!", ""],
    ["日本語", ""],
    ["🚀", ""],
  ])("%j -> %j", (name, slug) => {
    expect(slugify(name)).toBe(slug);
  });

  it.each([
    { name: "long name is cut to SLUG_MAX", input: "a".repeat(100), expected: "a".repeat(SLUG_MAX) },
    { name: "exactly SLUG_MAX is kept", input: "b".repeat(SLUG_MAX), expected: "b".repeat(SLUG_MAX) },
    { name: "a cut that ends on a hyphen drops it", input: `${"a".repeat(SLUG_MAX - 1)} tail`, expected: "a".repeat(SLUG_MAX - 1) },
    { name: "a cut inside a word keeps the part", input: `${"a".repeat(SLUG_MAX - 2)} tail`, expected: `${"a".repeat(SLUG_MAX - 2)}-t` },
    { name: "the cut counts after trimming leading junk", input: `!!!${"c".repeat(SLUG_MAX)}`, expected: "c".repeat(SLUG_MAX) },
  ])("$name", ({ input, expected }) => {
    const out = slugify(input);
    expect(out).toBe(expected);
    expect(out.length).toBeLessThanOrEqual(SLUG_MAX);
  });

  it("is always empty or a valid slug of at most SLUG_MAX characters", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 200 }), fc.string({ unit: "grapheme", maxLength: 120 })), (name) => {
        const out = slugify(name);
        expect(out.length).toBeLessThanOrEqual(SLUG_MAX);
        if (out !== "") expect(out).toMatch(SLUG_PATTERN);
      }),
      { numRuns: 2000 },
    );
  });

  it("is idempotent", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (name) => {
        const once = slugify(name);
        expect(slugify(once)).toBe(once);
      }),
      { numRuns: 1000 },
    );
  });

  it("leaves a valid slug unchanged", () => {
    const word = fc.stringMatching(/^[a-z0-9]{1,8}$/);
    const slug = fc
      .array(word, { minLength: 1, maxLength: 8 })
      .map((parts) => parts.join("-"))
      .filter((s) => s.length <= SLUG_MAX);
    fc.assert(
      fc.property(slug, (s) => {
        expect(slugify(s)).toBe(s);
      }),
    );
  });
});

describe("SLUG_PATTERN", () => {
  it.each(["a", "0", "abc", "a1", "1a", "a-b", "a-b-c", "team-42", "x".repeat(SLUG_MAX), "x".repeat(SLUG_MAX + 1)])("accepts %j", (s) => {
    expect(SLUG_PATTERN.test(s)).toBe(true);
  });

  it.each(["", "-", "-a", "a-", "a--b", "A", "Team", "a_b", "a b", "a.b", "a/b", " a", "a ", "a\n", "café", "ａ", "a-b\nc"])(
    "rejects %j",
    (s) => {
      expect(SLUG_PATTERN.test(s)).toBe(false);
    },
  );

  it("does not limit length: SLUG_MAX is applied separately", () => {
    expect(SLUG_MAX).toBe(64);
  });
});
