import type { Entity, Role, TokenMetadata } from "@latchkey/sdk";
import { useState } from "react";
import { client } from "../api";
import { Link, navigate } from "../router";
import { settingsPath } from "../session";
import { Badge, ErrorBox, Loading, PageHead, Status, useLoad } from "../ui";
import { DescriptionCell, RowButton, Table } from "../table";
import { ConfirmDialog } from "../confirm-dialog";
import { NotAllowed, useAccess } from "../access";

const count = (role: Role) =>
  role.permissions.orgScope.length +
  role.permissions.teamScope.length +
  role.permissions.projectScope.length +
  role.permissions.apiScope.length;

/** A role's restrictions in a few words. */
export function restrictionSummary(role: Role): string {
  const r = role.restrictions as { enabled: boolean; projects?: string[]; restrictionMode?: string; teams?: { teamId: string }[] };
  if (!r.enabled) return "None";
  if (r.teams) return `Teams: ${r.teams.map((t) => t.teamId).join(", ") || "none"}`;
  return `${r.restrictionMode === "notIn" ? "All projects except" : "Only projects"} ${(r.projects ?? []).join(", ") || "(none)"}`;
}

/**
 * The tokens that deleting the role `roleId` revokes, as the server decides: the role's tokens that are live now,
 * neither revoked already nor expired (those stay as they are).
 */
export function tokensRevokedWith(tokens: readonly TokenMetadata[], roleId: string, now: Date): TokenMetadata[] {
  return tokens.filter((t) => t.role.roleId === roleId && !t.revoked && (t.expiresAt === null || Date.parse(t.expiresAt) > now.getTime()));
}

/** Deleting a role revokes its tokens: the dialog counts them first. */
export function DeleteRoleDialog({ entity, role, onClose }: { entity: Entity; role: Role; onClose: () => void }) {
  const affected = useLoad(
    async () => tokensRevokedWith(await client.tokens(entity).all(false), role.id, new Date()),
    [entity.type, entity.id, role.id],
  );
  const n = affected.data?.length;
  return (
    <ConfirmDialog
      title={`Delete the role “${role.name}”?`}
      confirm={n ? `Delete role and revoke ${n} token${n === 1 ? "" : "s"}` : "Delete role"}
      act={() => client.roles(entity).delete(role.id)}
      onDone={() => navigate(settingsPath(entity, "/roles"))}
      onClose={onClose}
      disabled={n === undefined}
    >
      {affected.data === undefined && affected.error === undefined ? <Loading label="Counting the role's tokens…" /> : null}
      <ErrorBox error={affected.error} />
      {n !== undefined ? (
        <p className={n > 0 ? "warning" : undefined} data-testid="revoke-count">
          {n === 0
            ? "No API token was made from this role."
            : `Deleting it revokes ${n} API token${n === 1 ? "" : "s"} made from it, at once: ${affected.data!.map((t) => t.name).join(", ")}.`}{" "}
          Members lose the role.
        </p>
      ) : null}
    </ConfirmDialog>
  );
}

/** The roles of a team or an organisation. */
export function RolesPage({ entity }: { entity: Entity }) {
  const roles = useLoad(() => client.roles(entity).all(), [entity.type, entity.id]);
  const [deleting, setDeleting] = useState<Role | null>(null);
  const access = useAccess(entity);
  const managePermission = `${entity.type}.roles.manage`;
  const manage = access.may(managePermission);
  return (
    <div className="page">
      <PageHead
        title={entity.type === "team" ? "Roles" : "Organisation roles"}
        description="A role is a set of permissions. Members hold roles; API tokens are made from one role and follow its changes at once."
      >
        {manage ? (
          <Link className="button primary" to={settingsPath(entity, "/roles/new")}>
            New role
          </Link>
        ) : null}
      </PageHead>
      {access.loaded && !manage ? <NotAllowed what="Creating, editing and deleting roles" permission={managePermission} /> : null}
      <Status state={roles} empty="No roles.">
        {(list) => (
          <Table caption="Roles" columns={["Role", "Description", "Permissions", "Restrictions"]} actions>
            {list.map((r) => (
              <tr key={r.id}>
                <th scope="row">
                  <Link to={settingsPath(entity, `/roles/${encodeURIComponent(r.id)}`)}>{r.name}</Link>{" "}
                  <code className="muted">{r.id}</code>
                </th>
                <DescriptionCell text={r.description} />
                <td>
                  <Badge tone="info">{count(r)}</Badge>
                </td>
                <td>{restrictionSummary(r)}</td>
                <td className="row-actions">
                  <Link
                    className="button small"
                    to={settingsPath(entity, `/roles/${encodeURIComponent(r.id)}`)}
                    aria-label={`${manage ? "Edit" : "View"} ${r.name}`}
                  >
                    {manage ? "Edit" : "View"}
                  </Link>
                  {manage && r.id !== "owner" ? (
                    <RowButton label="Delete" name={`Delete ${r.name}`} danger onClick={() => setDeleting(r)} />
                  ) : null}
                </td>
              </tr>
            ))}
          </Table>
        )}
      </Status>
      {deleting ? (
        <DeleteRoleDialog
          entity={entity}
          role={deleting}
          onClose={() => {
            setDeleting(null);
            roles.reload();
          }}
        />
      ) : null}
    </div>
  );
}
