import { DomainError } from "@latchkey/core";
import { describe, expect, it } from "vitest";
import { parseForm } from "./form-body.js";

describe("parseForm (application/x-www-form-urlencoded, as OAuth sends it)", () => {
  it("decodes percent-encoding and + as a space; a field without = is empty; empty pairs are skipped", () => {
    expect(parseForm("token=a%2Eb%2Bc&token_type_hint=access+token&flag&&x=")).toEqual({
      token: "a.b+c",
      token_type_hint: "access token",
      flag: "",
      x: "",
    });
    expect(parseForm("")).toEqual({});
  });

  it("keeps __proto__ as a plain own field, never touching the prototype", () => {
    const form = parseForm("__proto__=x&constructor=y");
    expect(Object.getPrototypeOf(form)).toBe(Object.prototype);
    expect(Object.keys(form)).toEqual(["__proto__", "constructor"]);
  });

  it.each([
    ["token=%E0%A4%A", "bad percent-encoding"],
    ["token=%ZZ", "bad percent-encoding"],
    ["token=%C3%28", "bad percent-encoding"],
    ["token=a&token=b", "repeated"],
    [Array.from({ length: 33 }, (_, i) => `f${i}=1`).join("&"), "more than 32"],
  ])("refuses %j with 400 (%s)", (body, why) => {
    let error: unknown;
    try {
      parseForm(body);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).status).toBe(400);
    expect((error as DomainError).message).toContain(why);
  });
});
