import { DomainError } from "@latchkey/core";

/** A refusal of a token Latchkey issued (revoked, expired, key deleted): recorded on that token's audit feed. */
export class TokenRefusal extends DomainError {
  constructor(
    code: "TOKEN_INVALID" | "TOKEN_REVOKED" | "TOKEN_EXPIRED",
    message: string,
    /** `keyId`: which of the token's keys was presented (an old key after a regenerate, say). */
    readonly token: { id: string; entityType: "team" | "org"; entityId: string; email: string; keyId?: string },
  ) {
    super(code, message);
  }
}
