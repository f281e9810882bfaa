import type { Entity, TokenMetadata } from "@latchkey/sdk";
import { useState } from "react";
import { client } from "../api";
import { Link } from "../router";
import { settingsPath } from "../session";
import { Badge, PageHead, Status, Time, useLoad, useRefresh } from "../ui";
import { DescriptionCell, RowButton, Table } from "../table";
import { CreateTokenDialog, RegenerateDialog, RevokeDialog } from "./token-dialogs";
import { EditTokenDialog } from "./token-edit-dialog";
import { liveKeys, TokenKeysDialog } from "./token-keys-dialog";
import { NotAllowed, useAccess } from "../access";

/** Active, Revoked or Expired, as the list shows it. */
export function tokenStatus(token: TokenMetadata): "Active" | "Revoked" | "Expired" {
  if (token.revoked) return "Revoked";
  if (token.expiresAt && Date.parse(token.expiresAt) <= Date.now()) return "Expired";
  return "Active";
}

/** How many keys open the token; more than one after a regenerate that let the old key live on. */
function KeysCell({ token, onOpen }: { token: TokenMetadata; onOpen: () => void }) {
  if (tokenStatus(token) !== "Active") return null;
  const n = liveKeys(token).length;
  return (
    <div className="keys-cell">
      <button
        type="button"
        className={n > 1 ? "button small warn" : "button small subtle"}
        aria-label={`Keys of ${token.name}`}
        onClick={onOpen}
      >
        {n} {n === 1 ? "key" : "keys"}
      </button>
    </div>
  );
}

type Open = { kind: "create" } | { kind: "regenerate" | "revoke" | "edit" | "keys"; token: TokenMetadata } | null;

/** Settings → API → Tokens of a team or an organisation. */
export function TokensPage({ entity }: { entity: Entity }) {
  const [showAll, setShowAll] = useState(false);
  const tokens = useLoad(() => client.tokens(entity).all(showAll), [entity.type, entity.id, showAll]);
  const [open, setOpen] = useState<Open>(null);
  // "Last used" moves without a reload: the list is read again every 30 s while the page is in view, and on return.
  useRefresh(tokens.reload, 30_000);
  const access = useAccess(entity);
  const managePermission = `${entity.type}.tokens.manage`;
  const manage = access.may(managePermission);

  return (
    <div className="page">
      <PageHead
        title="API tokens"
        description={`Tokens act with the permissions of one ${entity.type === "team" ? "team" : "organisation"} role. Their secret is shown once, when made.`}
      >
        {manage ? (
          <button type="button" className="button primary" onClick={() => setOpen({ kind: "create" })}>
            Create API token
          </button>
        ) : null}
      </PageHead>
      {access.loaded && !manage ? <NotAllowed what="Creating, regenerating and revoking tokens" permission={managePermission} /> : null}
      <label className="toggle">
        <input type="checkbox" checked={showAll} onChange={(e) => setShowAll(e.target.checked)} />
        Show revoked and expired tokens
      </label>
      <Status state={tokens} empty={showAll ? "No tokens yet." : "No active tokens. Create one to call the API."}>
        {(list) => (
          <Table
            caption="API tokens"
            columns={["Name", "Description", "Role", "Created", "Expires", "Last used", "Status"]}
            actions={manage}
          >
            {list.map((t) => {
              const status = tokenStatus(t);
              return (
                <tr key={t.id} className={status === "Active" ? undefined : "inactive"} data-token-id={t.id}>
                  <th scope="row">
                    <Link to={settingsPath(entity, `/api/tokens/${encodeURIComponent(t.id)}/audit`)} title="This token's audit log">
                      {t.name}
                    </Link>
                  </th>
                  <DescriptionCell text={t.description} />
                  <td>
                    {t.role.name ?? <span className="muted">deleted role</span>} <code className="muted">{t.role.roleId}</code>
                  </td>
                  <td>
                    <Time at={t.createdAt} />
                    <div className="muted small">
                      by {t.creatorEmail}
                      {t.creatorLeft ? (
                        <>
                          {" "}
                          <Badge tone="warn">creator left</Badge>
                        </>
                      ) : null}
                    </div>
                  </td>
                  <td>
                    <Time at={t.expiresAt} never="No expiry" />
                  </td>
                  <td>
                    <Time at={t.lastUsedAt} />
                    {t.lastUsedIp ? <div className="muted small">from {t.lastUsedIp}</div> : null}
                    {t.allowedIps.length > 0 ? (
                      <div className="muted small" title={t.allowedIps.join(", ")}>
                        only from {t.allowedIps.length === 1 ? t.allowedIps[0] : `${t.allowedIps.length} address blocks`}
                      </div>
                    ) : null}
                  </td>
                  <td>
                    <Badge tone={status === "Active" ? "ok" : status === "Revoked" ? "bad" : "warn"}>{status}</Badge>
                    <KeysCell token={t} onOpen={() => setOpen({ kind: "keys", token: t })} />
                  </td>
                  {manage ? (
                    <td className="row-actions">
                      {status === "Active" ? (
                        <>
                          <RowButton label="Edit" name={`Edit ${t.name}`} onClick={() => setOpen({ kind: "edit", token: t })} />
                          <RowButton
                            label="Regenerate"
                            name={`Regenerate ${t.name}`}
                            onClick={() => setOpen({ kind: "regenerate", token: t })}
                          />
                          <RowButton
                            label="Revoke"
                            name={`Revoke ${t.name}`}
                            danger
                            onClick={() => setOpen({ kind: "revoke", token: t })}
                          />
                        </>
                      ) : null}
                    </td>
                  ) : null}
                </tr>
              );
            })}
          </Table>
        )}
      </Status>
      {open?.kind === "create" ? <CreateTokenDialog entity={entity} onClose={() => setOpen(null)} onCreated={tokens.reload} /> : null}
      {open?.kind === "edit" ? (
        <EditTokenDialog entity={entity} token={open.token} onClose={() => setOpen(null)} onDone={tokens.reload} />
      ) : null}
      {open?.kind === "regenerate" ? (
        <RegenerateDialog entity={entity} token={open.token} onClose={() => setOpen(null)} onDone={tokens.reload} />
      ) : null}
      {open?.kind === "keys" ? (
        <TokenKeysDialog entity={entity} token={open.token} manage={manage} onClose={() => setOpen(null)} onDone={tokens.reload} />
      ) : null}
      {open?.kind === "revoke" ? (
        <RevokeDialog entity={entity} token={open.token} onClose={() => setOpen(null)} onDone={tokens.reload} />
      ) : null}
    </div>
  );
}
