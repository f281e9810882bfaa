import type { Entity, Invitation, InviteReply, Member } from "@latchkey/sdk";
import { useState } from "react";
import { client } from "../api";
import { ConfirmActions } from "../dialog-actions";
import { RowButton, Table } from "../table";
import { CopyButton, Dialog, ErrorBox, Field, Status, Time, useAction, type Loaded } from "../ui";

/** What became of the message that carries the address's own link: the only link that can create an account. */
export function mailNote(invitation: InviteReply["invitation"]): string {
  const to = invitation.email;
  if (invitation.mail === "sent") return `An e-mail with a link was sent to ${to}.`;
  if (invitation.mail === "logged")
    return `No e-mail server is configured: the link for ${to} is in the server's log; ask whoever runs Latchkey to pass it on.`;
  return (
    `The e-mail to ${to} could not be sent (the server's log says why). The invitation stands: ` +
    "the address is sent its link again when someone tries the link below."
  );
}

/** After inviting: what happened to the e-mail, and the link that only an existing account can use. */
export function InvitationReady({ reply, onClose }: { reply: InviteReply; onClose: () => void }) {
  const { invitation } = reply;
  return (
    <Dialog title="Invitation ready" onClose={onClose}>
      <p className={invitation.mail === "failed" ? "warning" : "notice"} data-testid="mail-note">
        {mailNote(invitation)}
      </p>
      <p>
        For someone who already has an account here: this link lets <strong>{invitation.email}</strong> join with that account&apos;s
        password. It works once and expires <Time at={invitation.expiresAt} />. It cannot create an account: a new person uses the link sent
        to their address.
      </p>
      <Field label="Invitation link">
        {(id) => (
          <div className="secret-row">
            <input id={id} readOnly value={invitation.inviteUrl} onFocus={(e) => e.target.select()} />
            <CopyButton text={invitation.inviteUrl} />
          </div>
        )}
      </Field>
      <div className="dialog-actions">
        <button type="button" className="button primary" onClick={onClose}>
          Done
        </button>
      </div>
    </Dialog>
  );
}

function RevokeDialog({
  entity,
  invitation,
  onClose,
  onDone,
}: {
  entity: Entity;
  invitation: Invitation;
  onClose: () => void;
  onDone: () => void;
}) {
  const action = useAction();
  const revoke = async () => {
    if (await action.run(() => client.members(entity).revokeInvitation(invitation.id))) {
      onDone();
      onClose();
    }
  };
  return (
    <Dialog title={`Revoke the invitation of ${invitation.email}?`} onClose={onClose}>
      <p>Both of its links stop working: the one sent to the address and the one given to whoever invited them.</p>
      <ErrorBox error={action.error} />
      <ConfirmActions onCancel={onClose} onConfirm={() => void revoke()} disabled={action.busy}>
        Revoke invitation
      </ConfirmActions>
    </Dialog>
  );
}

/** Invitations nobody has accepted yet, newest first; who may manage members can revoke them. */
export function PendingInvitations({
  entity,
  invitations,
  members,
  roleName,
  canManage,
}: {
  entity: Entity;
  invitations: Loaded<Invitation[]>;
  members: readonly Member[] | undefined;
  roleName: (id: string) => string;
  canManage: boolean;
}) {
  const [revoking, setRevoking] = useState<Invitation | null>(null);
  // The inviter by address when they are a member here; someone who has left shows by user id.
  const inviter = (userId: string) => members?.find((m) => m.userId === userId)?.email ?? userId;
  return (
    <section aria-labelledby="pending-invitations-title">
      <h2 id="pending-invitations-title">Pending invitations</h2>
      <Status state={invitations} empty="No pending invitations.">
        {(list) => (
          <Table caption="Pending invitations" columns={["E-mail", "Roles", "Invited by", "Expires"]} actions={canManage}>
            {list.map((i) => (
              <tr key={i.id}>
                <th scope="row">{i.email}</th>
                <td>{i.roles.map(roleName).join(", ")}</td>
                <td>{inviter(i.invitedBy)}</td>
                <td>
                  <Time at={i.expiresAt} />
                </td>
                {canManage ? (
                  <td className="row-actions">
                    <RowButton label="Revoke" name={`Revoke the invitation of ${i.email}`} danger onClick={() => setRevoking(i)} />
                  </td>
                ) : null}
              </tr>
            ))}
          </Table>
        )}
      </Status>
      {revoking ? (
        <RevokeDialog entity={entity} invitation={revoking} onClose={() => setRevoking(null)} onDone={invitations.reload} />
      ) : null}
    </section>
  );
}
