import type { Entity, TokenMetadata } from "@latchkey/sdk";
import { useState, type FormEvent } from "react";
import { client } from "../api";
import { SubmitActions } from "../dialog-actions";
import { Dialog, ErrorBox, Field, useAction } from "../ui";

/** Renames a token and rewrites its description (never its role or secret). */
export function EditTokenDialog({
  entity,
  token,
  onClose,
  onDone,
}: {
  entity: Entity;
  token: TokenMetadata;
  onClose: () => void;
  onDone: () => void;
}) {
  const [name, setName] = useState(token.name);
  const [description, setDescription] = useState(token.description);
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await action.run(() => client.tokens(entity).update(token.id, { name, description }))) {
      onDone();
      onClose();
    }
  };
  return (
    <Dialog title={`Edit token ${token.name}`} onClose={onClose}>
      <form onSubmit={(e) => void submit(e)}>
        <Field label="Name">
          {(id) => <input id={id} required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Description" hint="What uses this token, and who to ask about it.">
          {(id) => <textarea id={id} rows={2} maxLength={1000} value={description} onChange={(e) => setDescription(e.target.value)} />}
        </Field>
        <ErrorBox error={action.error} />
        <SubmitActions onCancel={onClose} busy={action.busy}>
          Save
        </SubmitActions>
      </form>
    </Dialog>
  );
}
