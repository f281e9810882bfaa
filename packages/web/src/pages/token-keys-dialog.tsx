import type { TokenMetadata } from "@latchkey/sdk";
import { useState } from "react";
import { client } from "../api";
import { ConfirmActions, DoneActions } from "../dialog-actions";
import { RowButton, Table } from "../table";
import { Badge, Dialog, ErrorBox, Time, useAction } from "../ui";
import type { TokenDialogProps } from "./token-dialog-props";

type Key = TokenMetadata["keys"][number];

/** The keys that still open the token: not deleted (the list never holds those) and not past their end, newest first. */
export function liveKeys(token: TokenMetadata, nowMs = Date.now()): Key[] {
  return token.keys
    .filter((k) => k.expiresAt === null || Date.parse(k.expiresAt) > nowMs)
    .sort((a, b) => b.issuedAt.localeCompare(a.issuedAt));
}

/**
 * A token's live keys: after a regenerate that let the old key live on, both are here with their ends, and whoever
 * manages tokens may end the old one now. The audit log names the key of each request, so it shows whether the old
 * one is still in use.
 */
export function TokenKeysDialog({
  entity,
  token,
  manage,
  onClose,
  onDone,
}: TokenDialogProps & {
  /** Whether the person may end keys (token management here). */
  manage: boolean;
}) {
  const [keys, setKeys] = useState(() => liveKeys(token));
  const [ending, setEnding] = useState<Key | null>(null);
  const action = useAction();
  const end = async (key: Key) => {
    if (await action.run(() => client.tokens(entity).deleteKey(token.id, key.id))) {
      setKeys((list) => list.filter((k) => k.id !== key.id));
      setEnding(null);
      onDone();
    }
  };
  if (ending) {
    return (
      <Dialog title={`End the key ${ending.id} now?`} onClose={() => setEnding(null)}>
        <p>
          Whatever still uses this key&apos;s secret is refused from now on, on every server. The token&apos;s other keys go on working.
        </p>
        <ErrorBox error={action.error} />
        <ConfirmActions onCancel={() => setEnding(null)} onConfirm={() => void end(ending)} disabled={action.busy}>
          End this key now
        </ConfirmActions>
      </Dialog>
    );
  }
  const newest = keys[0]?.id;
  return (
    <Dialog title={`Keys of ${token.name}`} onClose={onClose} wide>
      <p className="muted">
        Each regenerate makes a new key (a new secret) for the token. The audit log names the key that made each request.
      </p>
      <Table caption={`Live keys of ${token.name}`} columns={["Key", "Issued", "Ends"]} actions={manage && keys.length > 1}>
        {keys.map((k) => (
          <tr key={k.id}>
            <th scope="row">
              <code>{k.id}</code> {k.id === newest ? <Badge tone="info">newest</Badge> : null}
            </th>
            <td>
              <Time at={k.issuedAt} />
            </td>
            <td>
              <Time at={k.expiresAt} never="With the token" />
            </td>
            {manage && keys.length > 1 ? (
              <td className="row-actions">
                <RowButton label="End this key now" name={`End key ${k.id} now`} danger onClick={() => setEnding(k)} />
              </td>
            ) : null}
          </tr>
        ))}
      </Table>
      {keys.length === 1 ? (
        <p className="hint">This is the token&apos;s only key: to stop it, regenerate the token (a new key) or revoke the token.</p>
      ) : null}
      <DoneActions onDone={onClose} />
    </Dialog>
  );
}
