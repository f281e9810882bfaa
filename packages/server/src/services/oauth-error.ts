import type { OAuthErrorCode } from "@latchkey/core";

/** A refusal in OAuth's terms (RFC 6749 section 5.2): answered 400 `{error, error_description}` by the OAuth routes. */
export class OAuthRefusal extends Error {
  readonly error: OAuthErrorCode;

  constructor(error: OAuthErrorCode, description: string) {
    super(description);
    this.name = "OAuthRefusal";
    this.error = error;
  }
}
