import type { TokenMetadata } from "@latchkey/sdk";
import { describe, expect, it } from "vitest";
import { tokensRevokedWith } from "./roles";

const NOW = new Date("2026-06-01T12:00:00Z");
const token = (id: string, roleId: string, extra: Partial<TokenMetadata> = {}): TokenMetadata =>
  ({ id, name: id, role: { roleId }, revoked: false, expiresAt: null, ...extra }) as TokenMetadata;

describe("tokensRevokedWith: what the delete-role dialog counts", () => {
  it("counts the role's live tokens only: not revoked ones, not expired ones, not other roles'", () => {
    const tokens = [
      token("live", "deployer"),
      token("later", "deployer", { expiresAt: "2026-06-01T12:00:01Z" }),
      token("revoked", "deployer", { revoked: true }),
      token("expired", "deployer", { expiresAt: "2026-06-01T11:59:59Z" }),
      token("at-the-second", "deployer", { expiresAt: "2026-06-01T12:00:00Z" }),
      token("other", "default"),
    ];
    expect(tokensRevokedWith(tokens, "deployer", NOW).map((t) => t.id)).toEqual(["live", "later"]);
  });
});
