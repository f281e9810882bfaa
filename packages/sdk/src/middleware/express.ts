import type { Verifier, VerifyResult } from "../verifier/verifier.js";
import { decide } from "./decide.js";

/** The parts of an Express request and response used (no runtime dependency on Express). */
export interface ExpressLikeRequest {
  headers: Record<string, string | string[] | undefined>;
  /** The client's address: behind a proxy, set Express's `trust proxy` so that it is the client's, not the proxy's. */
  ip?: string | undefined;
  latchkey?: VerifyResult;
}
export interface ExpressLikeResponse {
  status(code: number): ExpressLikeResponse;
  json(body: unknown): unknown;
}

/**
 * Express middleware: `app.get("/invoices", requireToken(verifier, ["billing:invoices.read"]), handler)`. A valid
 * token's decision is `req.latchkey`; otherwise 401/403/503 in Latchkey's error shape. Tokens with an IP allow-list
 * are held to `req.ip` (behind a proxy, set `app.set("trust proxy", ...)`, or every client has the proxy's address).
 */
export function requireToken(verifier: Verifier, permissions: readonly string[] = []) {
  return (req: ExpressLikeRequest, res: ExpressLikeResponse, next: (error?: unknown) => void): void => {
    void decide(verifier, req.headers["authorization"], permissions, req.ip ?? "").then((outcome) => {
      if (outcome.ok) {
        req.latchkey = outcome.decision;
        next();
      } else res.status(outcome.refusal.status).json(outcome.refusal.body);
    }, next);
  };
}
