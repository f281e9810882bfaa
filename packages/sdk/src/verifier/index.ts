export { createVerifier, VerifierRequestError, VerifierUnavailableError, MAX_TOKEN_LENGTH } from "./verifier.js";
export type { Verifier, VerifierOptions, VerifyOptions, VerifyResult } from "./verifier.js";
