import { describe, expect, it } from "vitest";
import { match } from "./router";
import { safeNext, settingsPath } from "./session";
import { expiryOf } from "./lifetime";
import { mailNote } from "./pages/invitations";
import { tokenStatus } from "./pages/tokens";
import { liveKeys } from "./pages/token-keys-dialog";
import type { TokenMetadata } from "@latchkey/sdk";

const ORIGIN = "https://latchkey.example.com";

describe("safeNext: after sign-in, only pages of this console", () => {
  it.each([
    ["/cli-login?sessionToken=abc", "/cli-login?sessionToken=abc"],
    ["/teams/acme/settings/roles", "/teams/acme/settings/roles"],
    [null, "/"],
    ["", "/"],
    ["https://evil.example/", "/"],
    ["//evil.example/x", "/"],
    ["/\\evil.example/x", "/"],
    ["javascript:alert(1)", "/"],
    ["/sign-in?next=%2Fsign-in", "/"],
  ])("%s -> %s", (next, expected) => expect(safeNext(next, ORIGIN)).toBe(expected));
});

describe("match: client-side routes", () => {
  it("reads parameters, decoded, and refuses other shapes", () => {
    expect(match("/teams/:id/settings/roles/:roleId", "/teams/acme/settings/roles/read%20only")).toEqual({
      id: "acme",
      roleId: "read only",
    });
    expect(match("/teams/:id/settings/roles", "/teams/acme/settings/roles/x")).toBeNull();
    expect(match("/teams/:id/settings/roles", "/orgs/acme/settings/roles")).toBeNull();
    expect(settingsPath({ type: "org", id: "acme" }, "/api/tokens")).toBe("/orgs/acme/settings/api/tokens");
  });
});

describe("token lifetimes and status", () => {
  it("turns a lifetime choice into expiresAt", () => {
    const in7 = Date.parse(expiryOf("7", "") ?? "");
    expect(Math.abs(in7 - (Date.now() + 7 * 86_400_000))).toBeLessThan(5_000);
    expect(expiryOf("never", "")).toBeNull();
    const custom = new Date(expiryOf("custom", "2031-05-17") ?? "");
    expect([custom.getFullYear(), custom.getMonth(), custom.getDate(), custom.getHours()]).toEqual([2031, 4, 17, 23]);
  });

  it("shows revoked before expired, and active otherwise", () => {
    const token = (t: Partial<TokenMetadata>) => ({ revoked: false, expiresAt: null, ...t }) as TokenMetadata;
    expect(tokenStatus(token({}))).toBe("Active");
    expect(tokenStatus(token({ expiresAt: new Date(Date.now() + 60_000).toISOString() }))).toBe("Active");
    expect(tokenStatus(token({ expiresAt: new Date(Date.now() - 1).toISOString() }))).toBe("Expired");
    expect(tokenStatus(token({ revoked: true, expiresAt: new Date(Date.now() - 1).toISOString() }))).toBe("Revoked");
  });
});

describe("members page: what the invitation dialog says (who may manage members comes from the server: my-access)", () => {
  it("says what happened to the e-mail that carries the address's own link", () => {
    const reply = (mail: "sent" | "logged" | "failed") => ({ id: "i", email: "x@example.com", inviteUrl: "", expiresAt: "", mail });
    expect(mailNote(reply("sent"))).toBe("An e-mail with a link was sent to x@example.com.");
    expect(mailNote(reply("logged"))).toMatch(/^No e-mail server is configured: the link for x@example\.com is in the server's log/);
    expect(mailNote(reply("failed"))).toMatch(/^The e-mail to x@example\.com could not be sent/);
  });
});

describe("liveKeys: the keys that still open a token, newest first", () => {
  const now = Date.parse("2030-01-01T00:00:00.000Z");
  const token = {
    keys: [
      { id: "key_old", issuedAt: "2029-12-01T00:00:00.000Z", expiresAt: "2030-01-02T00:00:00.000Z" },
      { id: "key_ended", issuedAt: "2029-11-01T00:00:00.000Z", expiresAt: "2029-12-01T00:00:00.000Z" },
      { id: "key_new", issuedAt: "2029-12-31T00:00:00.000Z", expiresAt: null },
    ],
  } as TokenMetadata;
  it("drops keys past their end and puts the newest first", () => {
    expect(liveKeys(token, now).map((k) => k.id)).toEqual(["key_new", "key_old"]);
  });
  it("a key ends at its time exactly", () => {
    expect(liveKeys(token, Date.parse("2030-01-02T00:00:00.000Z")).map((k) => k.id)).toEqual(["key_new"]);
  });
});
