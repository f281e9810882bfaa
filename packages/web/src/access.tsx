import type { Entity, Role } from "@latchkey/sdk";
import { client } from "./api";
import { useLoad } from "./ui";

/** What the signed-in person may do on one team or organisation, from the server's own decision (`my-access`). */
export interface Access {
  /** Whether the answer is in: until then nothing that needs a permission is offered. */
  loaded: boolean;
  error: unknown;
  /** Whether the person holds `permission` here (false until loaded). */
  may(permission: string): boolean;
  /** The roles of `roles` the person may give a member or mint a token from (none until loaded). */
  grantable(roles: Role[] | undefined): Role[] | undefined;
}

/** Loads the signed-in person's access to `entity` (none for null), once per entity. */
export function useAccess(entity: Entity | null): Access {
  const state = useLoad(() => (entity ? client.myAccess(entity) : Promise.resolve(null)), [entity?.type, entity?.id]);
  const held = new Set(state.data?.permissions ?? []);
  const roles = new Set(state.data?.grantableRoles ?? []);
  return {
    loaded: state.data !== undefined,
    error: state.error,
    may: (permission) => held.has(permission),
    grantable: (list) => (list && state.data ? list.filter((r) => roles.has(r.id)) : undefined),
  };
}

/** Why an action is not offered: the permission it needs, which the person does not hold here. */
export function NotAllowed({ what, permission }: { what: string; permission: string }) {
  return (
    <p className="hint muted not-allowed" data-testid="not-allowed">
      {what} needs the permission <code>{permission}</code>, which your roles here do not grant.
    </p>
  );
}
