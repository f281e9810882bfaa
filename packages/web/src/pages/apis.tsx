import type { Api, Entity } from "@latchkey/sdk";
import { useState } from "react";
import { client } from "../api";
import { ConfirmDialog } from "../confirm-dialog";
import { Link, navigate } from "../router";
import { settingsPath } from "../session";
import { DescriptionCell, RowButton, Table } from "../table";
import { Badge, PageHead, Status, useLoad } from "../ui";

/** Deleting an API takes its permissions out of every role: the dialog says so before. */
export function DeleteApiDialog({ entity, api, onClose }: { entity: Entity; api: Api; onClose: () => void }) {
  return (
    <ConfirmDialog
      title={`Delete the API “${api.name}”?`}
      confirm="Delete API"
      act={() => client.apis(entity).delete(api.id)}
      onDone={() => navigate(settingsPath(entity, "/apis"))}
      onClose={onClose}
    >
      <p className="warning">
        Its {api.permissions.length} permission{api.permissions.length === 1 ? "" : "s"} (
        {api.permissions.map((p) => `${api.id}:${p.id}`).join(", ") || "none"}) are taken out of every role that grants them, at once:
        tokens of those roles lose them on their next request.
      </p>
    </ConfirmDialog>
  );
}

/** The APIs of your own of a team or an organisation: the services it guards, with the permissions they check. */
export function ApisPage({ entity }: { entity: Entity }) {
  const apis = useLoad(() => client.apis(entity).all(), [entity.type, entity.id]);
  const [deleting, setDeleting] = useState<Api | null>(null);
  return (
    <div className="page">
      <PageHead
        title={entity.type === "team" ? "APIs" : "Organisation APIs"}
        description="Your own services and the permissions they check (billing:invoices.read). Roles grant them; gateways and services ask Latchkey about a token."
      >
        <Link className="button primary" to={settingsPath(entity, "/apis/new")}>
          New API
        </Link>
      </PageHead>
      <Status state={apis} empty="No APIs yet.">
        {(list) => (
          <Table caption="APIs" columns={["API", "Description", "Permissions"]} actions>
            {list.map((a) => (
              <tr key={a.id}>
                <th scope="row">
                  <Link to={settingsPath(entity, `/apis/${encodeURIComponent(a.id)}`)}>{a.name}</Link> <code className="muted">{a.id}</code>
                </th>
                <DescriptionCell text={a.description} />
                <td>
                  <Badge tone="info">{a.permissions.length}</Badge>
                </td>
                <td className="row-actions">
                  <Link
                    className="button small"
                    to={settingsPath(entity, `/apis/${encodeURIComponent(a.id)}`)}
                    aria-label={`Edit ${a.name}`}
                  >
                    Edit
                  </Link>
                  <RowButton label="Delete" name={`Delete ${a.name}`} danger onClick={() => setDeleting(a)} />
                </td>
              </tr>
            ))}
          </Table>
        )}
      </Status>
      {deleting ? (
        <DeleteApiDialog
          entity={entity}
          api={deleting}
          onClose={() => {
            setDeleting(null);
            apis.reload();
          }}
        />
      ) : null}
    </div>
  );
}
