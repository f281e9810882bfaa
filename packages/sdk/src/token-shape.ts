/** Recognising Latchkey tokens in text (for scanners such as `latchkey scan`): the shape, masking, the unverified issuer. */
export { findTokens, isTokenShaped, maskToken, TOKEN_PATTERN_SOURCE, tokenRegExp, unverifiedIssuer } from "@latchkey/core";
