import type { Entity } from "../types.js";

/** Encodes one path segment. */
export const enc = encodeURIComponent;

/** The path prefix of a team or organisation. */
export function entityPath(entity: Entity): string {
  return `/v1/${entity.type === "team" ? "teams" : "orgs"}/${enc(entity.id)}`;
}
