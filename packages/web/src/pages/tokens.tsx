import type { Entity, TokenMetadata } from "@latchkey/sdk";
import { useState } from "react";
import { client } from "../api";
import { Link } from "../router";
import { settingsPath } from "../session";
import { Badge, PageHead, Status, Time, useLoad } from "../ui";
import { CreateTokenDialog, RegenerateDialog, RevokeDialog } from "./token-dialogs";

/** Active, Revoked or Expired, as the list shows it. */
export function tokenStatus(token: TokenMetadata): "Active" | "Revoked" | "Expired" {
  if (token.revoked) return "Revoked";
  if (token.expiresAt && Date.parse(token.expiresAt) <= Date.now()) return "Expired";
  return "Active";
}

type Open = { kind: "create" } | { kind: "regenerate" | "revoke"; token: TokenMetadata } | null;

/** Settings → API → Tokens of a team or an organisation. */
export function TokensPage({ entity }: { entity: Entity }) {
  const [showAll, setShowAll] = useState(false);
  const tokens = useLoad(() => client.tokens(entity).all(showAll), [entity.type, entity.id, showAll]);
  const [open, setOpen] = useState<Open>(null);

  return (
    <div className="page">
      <PageHead
        title="API tokens"
        description={`Tokens act with the permissions of one ${entity.type === "team" ? "team" : "organisation"} role. Their secret is shown once, when made.`}
      >
        <button type="button" className="button primary" onClick={() => setOpen({ kind: "create" })}>
          Create API token
        </button>
      </PageHead>
      <label className="toggle">
        <input type="checkbox" checked={showAll} onChange={(e) => setShowAll(e.target.checked)} />
        Show revoked and expired tokens
      </label>
      <Status state={tokens} empty={showAll ? "No tokens yet." : "No active tokens. Create one to call the API."}>
        {(list) => (
          <div className="table-wrap">
            <table>
              <caption className="sr-only">API tokens</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Description</th>
                  <th scope="col">Role</th>
                  <th scope="col">Creator</th>
                  <th scope="col">Created</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((t) => {
                  const status = tokenStatus(t);
                  return (
                    <tr key={t.id} className={status === "Active" ? undefined : "inactive"} data-token-id={t.id}>
                      <th scope="row">
                        <Link to={settingsPath(entity, `/api/tokens/${encodeURIComponent(t.id)}/audit`)} title="This token's audit log">
                          {t.name}
                        </Link>
                      </th>
                      <td className="desc">{t.description || <span className="muted">—</span>}</td>
                      <td>
                        {t.role.name ?? <span className="muted">deleted role</span>} <code className="muted">{t.role.roleId}</code>
                      </td>
                      <td>{t.creatorEmail}</td>
                      <td>
                        <Time at={t.createdAt} />
                      </td>
                      <td>
                        <Time at={t.expiresAt} never="No expiry" />
                      </td>
                      <td>
                        <Time at={t.lastUsedAt} />
                        {t.lastUsedIp ? <span className="muted small"> from {t.lastUsedIp}</span> : null}
                      </td>
                      <td>
                        <Badge tone={status === "Active" ? "ok" : status === "Revoked" ? "bad" : "warn"}>{status}</Badge>
                      </td>
                      <td className="row-actions">
                        {status === "Active" ? (
                          <>
                            <button
                              type="button"
                              className="button small"
                              aria-label={`Regenerate ${t.name}`}
                              onClick={() => setOpen({ kind: "regenerate", token: t })}
                            >
                              Regenerate
                            </button>
                            <button
                              type="button"
                              className="button small danger"
                              aria-label={`Revoke ${t.name}`}
                              onClick={() => setOpen({ kind: "revoke", token: t })}
                            >
                              Revoke
                            </button>
                          </>
                        ) : null}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </Status>
      {open?.kind === "create" ? <CreateTokenDialog entity={entity} onClose={() => setOpen(null)} onCreated={tokens.reload} /> : null}
      {open?.kind === "regenerate" ? (
        <RegenerateDialog entity={entity} token={open.token} onClose={() => setOpen(null)} onDone={tokens.reload} />
      ) : null}
      {open?.kind === "revoke" ? (
        <RevokeDialog entity={entity} token={open.token} onClose={() => setOpen(null)} onDone={tokens.reload} />
      ) : null}
    </div>
  );
}
