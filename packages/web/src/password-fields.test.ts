import { describe, expect, it } from "vitest";
import { passwordProblems } from "./password-fields";

describe("passwordProblems: what the new-password fields say matches what they hold now", () => {
  const long = "correct horse battery";
  it.each<[string, string, boolean, { password?: string; repeat?: string }]>([
    ["", "", false, {}],
    ["short", "", false, { password: "Too short: 5 of at least 12 characters." }],
    // Typed on to 12 characters: the complaint goes.
    ["short enough", "", false, {}],
    // The repetition being typed (a start of the password) is not yet wrong...
    [long, "correct ho", false, {}],
    // ...a wrong character is, at once...
    [long, "correct hx", false, { repeat: "Does not match the password above." }],
    // ...and corrected, it is not any more.
    [long, long, false, {}],
    // Submitted unfinished, it is.
    [long, "correct ho", true, { repeat: "Does not match the password above." }],
    [long, `${long}!`, false, { repeat: "Does not match the password above." }],
    // The password edited after the repetition: the repetition no longer matches.
    [`${long}s`, long, true, { repeat: "Does not match the password above." }],
    ["tiny", "tiny", true, { password: "Too short: 4 of at least 12 characters." }],
  ])("%j / %j (submitted: %s)", (password, repeat, submitted, problems) => {
    expect(passwordProblems(password, repeat, submitted)).toEqual(problems);
  });
});
