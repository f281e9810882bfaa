import { KeyRotate, KeyRotated, TokenCreate, TokenCreated, TokenListQuery, TokenMetadata, TokenUpdate } from "@latchkey/core";
import type { Services } from "../../services/app-services.js";
import type { Router } from "../route.js";
import { Deleted, entityParams, OpaqueId } from "./params.js";
import { entityOf } from "../../access/access.js";

/** API tokens of teams and organisations, and the unprefixed `/v1/tokens` a token uses for its own team or organisation. */
export function tokenRoutes(router: Router, { tokens }: Services): void {
  const prefixes = [
    { urls: ["/v1/teams/:teamId/tokens"], key: "teamId" as const, what: "team", permissionScope: "team" },
    { urls: ["/v1/orgs/:orgId/tokens"], key: "orgId" as const, what: "organisation", permissionScope: "org" },
    { urls: ["/v1/tokens"], key: "teamId" as const, what: "token's own team or organisation", permissionScope: "team|org" },
  ];
  for (const { urls, key, what, permissionScope } of prefixes) {
    const tags = ["API tokens"];
    const base = urls[0] ?? "";
    const Params = entityParams(key, {});
    const TokenParams = entityParams(key, { tokenId: OpaqueId });
    const KeyParams = entityParams(key, { tokenId: OpaqueId, keyId: OpaqueId });
    const at = (params: Record<string, unknown>, principal: Parameters<typeof entityOf>[0]) =>
      entityOf(principal, params, key, base === "/v1/tokens" ? undefined : key === "teamId" ? "team" : "org");

    router.add({
      method: "POST",
      url: base,
      summary: `Create an API token of the ${what} from one of its roles; the reply is the only one that holds the secret`,
      tags,
      permission: `${permissionScope}.tokens.manage`,
      params: Params,
      body: TokenCreate,
      reply: TokenCreated,
      secret: true,
      handler: ({ principal, params, body }) => {
        const e = at(params, principal);
        return tokens.create(principal, e.type, e.id, body);
      },
    });
    router.add({
      method: "GET",
      url: base,
      summary: `List the ${what}'s API tokens (all=true includes revoked and expired ones)`,
      tags,
      permission: `${permissionScope}.tokens.read`,
      params: Params,
      query: TokenListQuery,
      reply: TokenMetadata,
      list: "apiTokens",
      handler: ({ principal, params, query }) => {
        const e = at(params, principal);
        return tokens.list(principal, e.type, e.id, { perPage: query.per_page, cursor: query.cursor }, query.all);
      },
    });
    router.add({
      method: "GET",
      url: `${base}/:tokenId`,
      summary: "Get a token's metadata (never its secret)",
      tags,
      permission: `${permissionScope}.tokens.read`,
      params: TokenParams,
      reply: TokenMetadata,
      handler: ({ principal, params }) => {
        const e = at(params, principal);
        return tokens.get(principal, e.type, e.id, String(params["tokenId"]));
      },
    });
    router.add({
      method: "PATCH",
      url: `${base}/:tokenId`,
      summary: "Rename or re-describe a token (its role never changes)",
      tags,
      permission: `${permissionScope}.tokens.manage`,
      params: TokenParams,
      body: TokenUpdate,
      reply: TokenMetadata,
      handler: ({ principal, params, body }) => {
        const e = at(params, principal);
        return tokens.update(principal, e.type, e.id, String(params["tokenId"]), body);
      },
    });
    router.add({
      method: "DELETE",
      url: `${base}/:tokenId`,
      summary: "Revoke a token for good, at once, on every process",
      tags,
      permission: `${permissionScope}.tokens.manage`,
      params: TokenParams,
      reply: TokenMetadata,
      handler: ({ principal, params }) => {
        const e = at(params, principal);
        return tokens.revoke(principal, e.type, e.id, String(params["tokenId"]));
      },
    });
    router.add({
      method: "POST",
      url: `${base}/:tokenId/keys`,
      summary: "Regenerate: a new key and secret; the other keys stop at otherKeysExpiresAt (default now)",
      tags,
      permission: `${permissionScope}.tokens.manage`,
      params: TokenParams,
      body: KeyRotate,
      reply: KeyRotated,
      secret: true,
      handler: ({ principal, params, body }) => {
        const e = at(params, principal);
        return tokens.rotate(principal, e.type, e.id, String(params["tokenId"]), body.otherKeysExpiresAt);
      },
    });
    router.add({
      method: "DELETE",
      url: `${base}/:tokenId/keys/:keyId`,
      summary: "Delete one key of a token: that secret stops at once",
      tags,
      permission: `${permissionScope}.tokens.manage`,
      params: KeyParams,
      reply: Deleted,
      handler: ({ principal, params }) => {
        const e = at(params, principal);
        return tokens.deleteKey(principal, e.type, e.id, String(params["tokenId"]), String(params["keyId"]));
      },
    });
  }
}
