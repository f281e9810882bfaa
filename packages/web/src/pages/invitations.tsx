import type { Entity, Invitation, InviteReply, Member } from "@latchkey/sdk";
import { useState } from "react";
import { client } from "../api";
import { ConfirmDialog } from "../confirm-dialog";
import { CopyField } from "../copy-field";
import { DoneActions } from "../dialog-actions";
import { RowButton, Table } from "../table";
import { Dialog, ErrorBox, Status, Time, useAction, type Loaded } from "../ui";

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

/** After inviting (or making new links): what happened to the e-mail, and the link that only an existing account can use. */
export function InvitationReady({
  reply,
  onClose,
  title = "Invitation ready",
}: {
  reply: InviteReply;
  onClose: () => void;
  title?: string;
}) {
  const { invitation } = reply;
  return (
    <Dialog title={title} onClose={onClose}>
      <p className={invitation.mail === "failed" ? "warning" : "notice"} data-testid="mail-note">
        {mailNote(invitation)}
      </p>
      <p>
        For someone who already has an account here: this link lets <strong>{invitation.email}</strong> join with that account&apos;s
        password. It works once and expires <Time at={invitation.expiresAt} />. It cannot create an account: a new person uses the link sent
        to their address.
      </p>
      <CopyField label="Invitation link" value={invitation.inviteUrl} />
      <DoneActions onDone={onClose} />
    </Dialog>
  );
}

/** What a dialog that acts on one pending invitation is given. */
interface InvitationDialogProps {
  entity: Entity;
  invitation: Invitation;
  onClose: () => void;
  /** The invitation changed: the list reloads. */
  onDone: () => void;
}

/**
 * New links for a pending invitation. Latchkey keeps an invitation's links only as hashes, as it does tokens, so a
 * lost link cannot be shown again: this makes new ones, and the old ones stop working.
 */
function NewLinkDialog({ entity, invitation, onClose, onDone }: InvitationDialogProps) {
  const [reply, setReply] = useState<InviteReply | null>(null);
  const action = useAction();
  const renew = async () => {
    const result = await action.run(() => client.members(entity).renewInvitation(invitation.id));
    if (result) {
      setReply(result);
      onDone();
    }
  };
  if (reply) return <InvitationReady reply={reply} onClose={onClose} title="New invitation link" />;
  return (
    <Dialog title={`New links for ${invitation.email}?`} onClose={onClose}>
      <p>
        An invitation&apos;s links are shown once: Latchkey keeps only a hash of them, so they cannot be copied again. This makes new ones
        instead. The links given before stop working, {invitation.email} is sent the new link to their address, and the invitation runs for
        seven days from now.
      </p>
      <ErrorBox error={action.error} />
      <div className="dialog-actions">
        <button type="button" className="button subtle" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="button primary" disabled={action.busy} onClick={() => void renew()}>
          Make new links
        </button>
      </div>
    </Dialog>
  );
}

function RevokeDialog({ entity, invitation, onClose, onDone }: InvitationDialogProps) {
  return (
    <ConfirmDialog
      title={`Revoke the invitation of ${invitation.email}?`}
      confirm="Revoke invitation"
      act={() => client.members(entity).revokeInvitation(invitation.id)}
      onDone={onDone}
      onClose={onClose}
    >
      <p>Both of its links stop working: the one sent to the address and the one given to whoever invited them.</p>
    </ConfirmDialog>
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
  const [open, setOpen] = useState<{ kind: "renew" | "revoke"; invitation: Invitation } | null>(null);
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
                    <RowButton
                      label="New link"
                      name={`New link for ${i.email}`}
                      onClick={() => setOpen({ kind: "renew", invitation: i })}
                    />
                    <RowButton
                      label="Revoke"
                      name={`Revoke the invitation of ${i.email}`}
                      danger
                      onClick={() => setOpen({ kind: "revoke", invitation: i })}
                    />
                  </td>
                ) : null}
              </tr>
            ))}
          </Table>
        )}
      </Status>
      {open?.kind === "revoke" ? (
        <RevokeDialog entity={entity} invitation={open.invitation} onClose={() => setOpen(null)} onDone={invitations.reload} />
      ) : null}
      {open?.kind === "renew" ? (
        <NewLinkDialog entity={entity} invitation={open.invitation} onClose={() => setOpen(null)} onDone={invitations.reload} />
      ) : null}
    </section>
  );
}
