import type { Entity } from "@latchkey/sdk";
import { useState, type FormEvent, type ReactNode } from "react";
import { client } from "../api";
import { ConfirmDialog } from "../confirm-dialog";
import { SecretShownOnce } from "../copy-field";
import { useLifetime } from "../lifetime";
import { Dialog, ErrorBox, Field, Time, useAction, useLoad } from "../ui";
import { SubmitActions } from "../dialog-actions";
import type { TokenDialogProps } from "./token-dialog-props";
import { RoleSelect } from "./role-select";
import { addressList, AllowedIpsField } from "./token-edit-dialog";
import { useAccess } from "../access";

/** The only place a secret is ever shown: right after creation or regeneration, once. */
function Reveal({ secret, what, note, onDone }: { secret: string; what: string; note?: ReactNode; onDone: () => void }) {
  return (
    <div className="reveal">
      <SecretShownOnce
        warning={
          <>
            <strong>Copy this token now.</strong> It will not be shown again: Latchkey keeps only a hash of it. If you lose it, regenerate
            the token.
          </>
        }
        label={what}
        secret={secret}
        note={note}
        onDone={onDone}
      />
    </div>
  );
}

export function CreateTokenDialog({ entity, onClose, onCreated }: { entity: Entity; onClose: () => void; onCreated: () => void }) {
  const roles = useLoad(() => client.roles(entity).all(), [entity.type, entity.id]);
  // Only roles the person may mint from: a token may not do more than its maker.
  const access = useAccess(entity);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [roleId, setRoleId] = useState("");
  const lifetime = useLifetime();
  const [allowed, setAllowed] = useState("");
  const [secret, setSecret] = useState<string | null>(null);
  const action = useAction();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const created = await action.run(() =>
      client.tokens(entity).create({ name, description, roleId, expiresAt: lifetime.expiresAt(), allowedIps: addressList(allowed) }),
    );
    if (created) {
      setSecret(created.token);
      onCreated();
    }
  };

  if (secret !== null) {
    return (
      <Dialog title="API token created" onClose={onClose}>
        <Reveal secret={secret} what={`Token “${name}”`} onDone={onClose} />
      </Dialog>
    );
  }
  return (
    <Dialog title="Create API token" onClose={onClose}>
      <form onSubmit={(e) => void submit(e)}>
        <Field label="Name">
          {(id) => <input id={id} required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Description" hint="What uses this token, and who to ask about it.">
          {(id) => <textarea id={id} rows={2} maxLength={1000} value={description} onChange={(e) => setDescription(e.target.value)} />}
        </Field>
        <RoleSelect
          roles={access.grantable(roles.data)}
          value={roleId}
          onChange={setRoleId}
          placeholder={access.grantable(roles.data) ? "Choose a role…" : "Loading roles…"}
          hint="The token can do what this role allows, read at each request: editing the role changes the token at once."
        />
        <ErrorBox error={roles.error} />
        {lifetime.field}
        <AllowedIpsField value={allowed} onChange={setAllowed} />
        <ErrorBox error={action.error} />
        <SubmitActions onCancel={onClose} busy={action.busy}>
          {action.busy ? "Creating…" : "Create API token"}
        </SubmitActions>
      </form>
    </Dialog>
  );
}

const GRACE: [string, string][] = [
  ["0", "Stop the old key now"],
  ["3600000", "Keep the old key for 1 hour"],
  ["86400000", "Keep the old key for 1 day"],
  ["604800000", "Keep the old key for 7 days"],
];

export function RegenerateDialog({ entity, token, onClose, onDone }: TokenDialogProps) {
  const [grace, setGrace] = useState("0");
  const [secret, setSecret] = useState<string | null>(null);
  const [oldKeysEnd, setOldKeysEnd] = useState<string | null>(null);
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const ms = Number(grace);
    const end = ms > 0 ? new Date(Date.now() + ms).toISOString() : undefined;
    const rotated = await action.run(() => client.tokens(entity).rotate(token.id, end));
    if (rotated) {
      setSecret(rotated.token);
      setOldKeysEnd(end ?? null);
      onDone();
    }
  };
  if (secret !== null) {
    const note = oldKeysEnd ? (
      <p className="notice" data-testid="old-key-note">
        The old key goes on working until <Time at={oldKeysEnd} />. Once nothing uses it (the audit log names the key of each request), end
        it sooner from the token&apos;s <strong>Keys</strong>.
      </p>
    ) : null;
    return (
      <Dialog title="Token regenerated" onClose={onClose}>
        <Reveal secret={secret} what={`New secret of “${token.name}”`} note={note} onDone={onClose} />
      </Dialog>
    );
  }
  return (
    <Dialog title={`Regenerate “${token.name}”`} onClose={onClose}>
      <form onSubmit={(e) => void submit(e)}>
        <p>
          A new secret is made for this token; its name, role and audit log stay. Whatever uses the old secret must switch to the new one.
        </p>
        <fieldset className="field">
          <legend>The old key</legend>
          {GRACE.map(([value, label]) => (
            <label key={value} className="choice block">
              <input type="radio" name="grace" value={value} checked={grace === value} onChange={() => setGrace(value)} />
              {label}
            </label>
          ))}
        </fieldset>
        <ErrorBox error={action.error} />
        <SubmitActions onCancel={onClose} busy={action.busy}>
          Regenerate
        </SubmitActions>
      </form>
    </Dialog>
  );
}

export function RevokeDialog({ entity, token, onClose, onDone }: TokenDialogProps) {
  return (
    <ConfirmDialog
      title={`Revoke “${token.name}”?`}
      confirm="Revoke token"
      act={() => client.tokens(entity).revoke(token.id)}
      onDone={onDone}
      onClose={onClose}
    >
      <p>
        Everything that uses this token is refused from now on, on every server. Revoking cannot be undone; the token stays listed as
        revoked, with its audit log.
      </p>
    </ConfirmDialog>
  );
}
