import type { Store } from "../store/store.js";

/** The `meta` key under which the installation's issuer is kept. */
export const ISSUER_KEY = "token-issuer";

/** The `iss` and `aud` every token of this installation carries and every check expects. */
export interface IssuerClaims {
  iss: string;
  aud: string;
}

/**
 * The installation's token issuer: fixed at first start (LATCHKEY_ISSUER, else the public URL of that day) and kept
 * in the database, so that moving to another port or domain (a new LATCHKEY_PUBLIC_URL) keeps every token valid. An
 * operator who sets LATCHKEY_ISSUER later replaces it: tokens of the old issuer are then refused, saying so.
 */
export function createIssuer(deps: { store: Store; configured: string | null; publicUrl: string }) {
  const { store, configured, publicUrl } = deps;
  let claims: IssuerClaims | null = null;

  return {
    /** Reads (or, on first start, fixes) the issuer; every process of a deployment agrees on it. */
    async init(): Promise<IssuerClaims> {
      const iss = await store.transaction(async (tx) => {
        await tx.advisoryLock("latchkey:issuer");
        const kept = await tx.meta.get(ISSUER_KEY);
        const wanted = configured ?? kept ?? publicUrl;
        if (kept !== wanted) await tx.meta.set(ISSUER_KEY, wanted);
        return wanted;
      });
      claims = { iss, aud: `${iss}/v1` };
      return claims;
    },
    /** The claims tokens are signed with and checked against; `init` must have run. */
    claims(): IssuerClaims {
      if (!claims) throw new Error("the token issuer is read at start-up (services.init) before any token is made or checked");
      return claims;
    },
  };
}

export type Issuer = ReturnType<typeof createIssuer>;
