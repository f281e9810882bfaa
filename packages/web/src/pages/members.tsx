import type { Entity, InviteReply, Member, Role } from "@latchkey/sdk";
import { useState, type FormEvent } from "react";
import { client } from "../api";
import { useSession } from "../session";
import { Dialog, ErrorBox, Field, PageHead, Status, Time, useAction, useLoad } from "../ui";
import { RowButton, Table } from "../table";
import { ConfirmDialog } from "../confirm-dialog";
import { SubmitActions } from "../dialog-actions";
import { InvitationReady, PendingInvitations } from "./invitations";
import { NotAllowed, useAccess } from "../access";

function RoleChoices({ roles, value, onChange }: { roles: Role[]; value: string[]; onChange: (v: string[]) => void }) {
  return (
    <fieldset className="field">
      <legend>Roles</legend>
      <div className="choices">
        {roles.map((r) => (
          <label key={r.id} className="choice">
            <input
              type="checkbox"
              checked={value.includes(r.id)}
              onChange={(e) => onChange(e.target.checked ? [...value, r.id] : value.filter((id) => id !== r.id))}
            />
            {r.name}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

function InviteDialog({ entity, roles, onClose, onDone }: { entity: Entity; roles: Role[]; onClose: () => void; onDone: () => void }) {
  const [email, setEmail] = useState("");
  // New people start with the least role there is: `default` in a team, `member` in an organisation.
  const least = roles.find((r) => r.id === "default" || r.id === "member");
  const [chosen, setChosen] = useState<string[]>(least ? [least.id] : []);
  const [reply, setReply] = useState<InviteReply | null>(null);
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await action.run(async () => {
      if (chosen.length === 0) throw new Error("Choose at least one role.");
      return client.members(entity).invite(email, chosen);
    });
    if (result) {
      setReply(result);
      onDone();
    }
  };
  if (reply) return <InvitationReady reply={reply} onClose={onClose} />;
  return (
    <Dialog title="Invite a member" onClose={onClose}>
      <form onSubmit={(e) => void submit(e)}>
        <Field label="E-mail">
          {(id) => <input id={id} type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />}
        </Field>
        <RoleChoices roles={roles} value={chosen} onChange={setChosen} />
        <ErrorBox error={action.error} />
        <SubmitActions onCancel={onClose} busy={action.busy}>
          Invite
        </SubmitActions>
      </form>
    </Dialog>
  );
}

function RolesDialog({
  entity,
  member,
  roles,
  onClose,
  onDone,
}: {
  entity: Entity;
  member: Member;
  roles: Role[];
  onClose: () => void;
  onDone: () => void;
}) {
  const [chosen, setChosen] = useState(member.roles);
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await action.run(() => client.members(entity).setRoles(member.userId, chosen))) {
      onDone();
      onClose();
    }
  };
  return (
    <Dialog title={`Roles of ${member.name || member.email}`} onClose={onClose}>
      <form onSubmit={(e) => void submit(e)}>
        <RoleChoices roles={roles} value={chosen} onChange={setChosen} />
        <ErrorBox error={action.error} />
        <SubmitActions onCancel={onClose} busy={action.busy}>
          Save roles
        </SubmitActions>
      </form>
    </Dialog>
  );
}

function RemoveDialog({ entity, member, onClose, onDone }: { entity: Entity; member: Member; onClose: () => void; onDone: () => void }) {
  return (
    <ConfirmDialog
      title={`Remove ${member.name || member.email}?`}
      confirm="Remove member"
      act={() => client.members(entity).remove(member.userId)}
      onDone={onDone}
      onClose={onClose}
    >
      <p>
        They lose every role here, and the invitations they sent that are still pending are revoked. API tokens they made stay until
        revoked.
      </p>
    </ConfirmDialog>
  );
}

type Open = { kind: "invite" } | { kind: "roles" | "remove"; member: Member } | null;

/** Members of a team or organisation, and the invitations still pending. */
export function MembersPage({ entity }: { entity: Entity }) {
  const { user } = useSession();
  const deps = [entity.type, entity.id];
  const members = useLoad(() => client.members(entity).all(), deps);
  const invitations = useLoad(() => client.members(entity).invitations(), deps);
  const roles = useLoad(() => client.roles(entity).all(), deps);
  const [open, setOpen] = useState<Open>(null);
  const roleName = (id: string) => roles.data?.find((r) => r.id === id)?.name ?? id;
  // What the server says this person may do here: the one source, so no action is offered that it would refuse.
  const access = useAccess(entity);
  const managePermission = `${entity.type}.members.manage`;
  const canManage = access.may(managePermission);
  const grantable = access.grantable(roles.data) ?? [];
  // Inviting adds to the pending list; changing or removing a member may revoke invitations they sent.
  const reload = () => {
    members.reload();
    invitations.reload();
  };
  return (
    <div className="page">
      <PageHead title="Members" description="People who can sign in here, and the roles they hold.">
        {canManage ? (
          <button type="button" className="button primary" onClick={() => setOpen({ kind: "invite" })}>
            Invite member
          </button>
        ) : null}
      </PageHead>
      <ErrorBox error={roles.error} />
      {access.loaded && !canManage ? <NotAllowed what="Inviting, changing and removing members" permission={managePermission} /> : null}
      <Status state={members} empty="No members.">
        {(list) => (
          <Table caption="Members" columns={["Name", "E-mail", "Roles", "Joined"]} actions={canManage}>
            {list.map((m) => (
              <tr key={m.userId}>
                <th scope="row">
                  {m.name} {m.userId === user?.id ? <span className="muted">(you)</span> : null}
                </th>
                <td>{m.email}</td>
                <td>{m.roles.map(roleName).join(", ")}</td>
                <td>
                  <Time at={m.joinedAt} />
                </td>
                {canManage ? (
                  <td className="row-actions">
                    <RowButton
                      label="Change roles"
                      name={`Change roles of ${m.email}`}
                      onClick={() => setOpen({ kind: "roles", member: m })}
                    />
                    <RowButton label="Remove" name={`Remove ${m.email}`} danger onClick={() => setOpen({ kind: "remove", member: m })} />
                  </td>
                ) : null}
              </tr>
            ))}
          </Table>
        )}
      </Status>
      <PendingInvitations entity={entity} invitations={invitations} members={members.data} roleName={roleName} canManage={canManage} />
      {open?.kind === "invite" && roles.data ? (
        <InviteDialog entity={entity} roles={grantable} onClose={() => setOpen(null)} onDone={reload} />
      ) : null}
      {open?.kind === "roles" && roles.data ? (
        <RolesDialog entity={entity} member={open.member} roles={grantable} onClose={() => setOpen(null)} onDone={reload} />
      ) : null}
      {open?.kind === "remove" ? <RemoveDialog entity={entity} member={open.member} onClose={() => setOpen(null)} onDone={reload} /> : null}
    </div>
  );
}
