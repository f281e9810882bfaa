import { KeyRotate, KeyRotated, TokenCreate, TokenCreated, TokenListQuery, TokenMetadata, TokenUpdate } from "@latchkey/core";
import type { Services } from "../../services/app-services.js";
import type { Router } from "../route.js";
import { Deleted, entityParams, OpaqueId } from "./params.js";
import type { PermissionId } from "@latchkey/core";

/** API tokens of teams and organisations, and the unprefixed `/v1/tokens` a token uses for its own team or organisation. */
export function tokenRoutes(router: Router, { tokens }: Services): void {
  const prefixes = [
    { urls: ["/v1/teams/:teamId/tokens"], key: "teamId" as const, what: "team", kinds: ["team"] as const },
    { urls: ["/v1/orgs/:orgId/tokens"], key: "orgId" as const, what: "organisation", kinds: ["org"] as const },
    { urls: ["/v1/tokens"], key: "teamId" as const, what: "token's own team or organisation", kinds: ["team", "org"] as const },
  ];
  for (const { urls, key, what, kinds } of prefixes) {
    /** The permission on a team or organisation; the unprefixed path allows either kind, as its token implies. */
    const needs = (action: "read" | "manage"): PermissionId[] => kinds.map((k) => `${k}.tokens.${action}` as const);
    const tags = ["API tokens"];
    const base = urls[0] ?? "";
    const Params = entityParams(key, {});
    const TokenParams = entityParams(key, { tokenId: OpaqueId });
    const KeyParams = entityParams(key, { tokenId: OpaqueId, keyId: OpaqueId });

    router.add({
      method: "POST",
      url: base,
      summary: `Create an API token of the ${what} from one of its roles; the reply is the only one that holds the secret`,
      tags,
      permission: needs("manage"),
      params: Params,
      body: TokenCreate,
      reply: TokenCreated,
      secret: true,
      handler: ({ principal, entity, body }) => {
        return tokens.create(principal, entity, body);
      },
    });
    router.add({
      method: "GET",
      url: base,
      summary: `List the ${what}'s API tokens (all=true includes revoked and expired ones)`,
      tags,
      permission: needs("read"),
      params: Params,
      query: TokenListQuery,
      reply: TokenMetadata,
      list: "apiTokens",
      handler: ({ principal, entity, query }) => {
        return tokens.list(principal, entity, { perPage: query.perPage, cursor: query.cursor }, query.all);
      },
    });
    router.add({
      method: "GET",
      url: `${base}/:tokenId`,
      summary: "Get a token's metadata (never its secret)",
      tags,
      permission: needs("read"),
      params: TokenParams,
      reply: TokenMetadata,
      handler: ({ principal, entity, params }) => {
        return tokens.get(principal, entity, String(params["tokenId"]));
      },
    });
    router.add({
      method: "PATCH",
      url: `${base}/:tokenId`,
      summary: "Rename or re-describe a token (its role never changes)",
      tags,
      permission: needs("manage"),
      params: TokenParams,
      body: TokenUpdate,
      reply: TokenMetadata,
      handler: ({ principal, entity, params, body }) => {
        return tokens.update(principal, entity, String(params["tokenId"]), body);
      },
    });
    router.add({
      method: "DELETE",
      url: `${base}/:tokenId`,
      summary: "Revoke a token for good, at once, on every process",
      tags,
      permission: needs("manage"),
      params: TokenParams,
      reply: TokenMetadata,
      handler: ({ principal, entity, params }) => {
        return tokens.revoke(principal, entity, String(params["tokenId"]));
      },
    });
    router.add({
      method: "POST",
      url: `${base}/:tokenId/keys`,
      summary: "Regenerate: a new key and secret; the other keys stop at otherKeysExpiresAt (default now)",
      tags,
      permission: needs("manage"),
      params: TokenParams,
      body: KeyRotate,
      reply: KeyRotated,
      secret: true,
      handler: ({ principal, entity, params, body }) => {
        return tokens.rotate(principal, entity, String(params["tokenId"]), body.otherKeysExpiresAt);
      },
    });
    router.add({
      method: "DELETE",
      url: `${base}/:tokenId/keys/:keyId`,
      summary: "Delete one key of a token: that secret stops at once",
      tags,
      permission: needs("manage"),
      params: KeyParams,
      reply: Deleted,
      handler: ({ principal, entity, params }) => {
        return tokens.deleteKey(principal, entity, String(params["tokenId"]), String(params["keyId"]));
      },
    });
  }
}
