import { useState, type FormEvent } from "react";
import { client } from "../api";
import { SubmitActions } from "../dialog-actions";
import { Dialog, ErrorBox, Field, useAction } from "../ui";
import type { TokenDialogProps } from "./token-dialog-props";

/** The addresses typed in the allow-list field: one CIDR block or address per line (commas and spaces also split). */
export function addressList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** The allow-list field of the create and edit dialogs. */
export function AllowedIpsField({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  return (
    <Field
      label="Allowed addresses"
      hint="One IPv4 or IPv6 address or CIDR block per line (203.0.113.0/24, 2001:db8::/32). Empty: any address. Requests from elsewhere are refused (403) and audited."
    >
      {(id) => (
        <textarea id={id} rows={3} spellCheck={false} placeholder="any address" value={value} onChange={(e) => onChange(e.target.value)} />
      )}
    </Field>
  );
}

/** Rename a token, re-describe it, or change the addresses it may be used from (never its role). */
export function EditTokenDialog({ entity, token, onClose, onDone }: TokenDialogProps) {
  const [name, setName] = useState(token.name);
  const [description, setDescription] = useState(token.description);
  const [allowed, setAllowed] = useState(token.allowedIps.join("\n"));
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const body = { name, description, allowedIps: addressList(allowed) };
    if (await action.run(() => client.tokens(entity).update(token.id, body))) {
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
        <Field label="Description">
          {(id) => <textarea id={id} rows={2} maxLength={1000} value={description} onChange={(e) => setDescription(e.target.value)} />}
        </Field>
        <AllowedIpsField value={allowed} onChange={setAllowed} />
        <ErrorBox error={action.error} />
        <SubmitActions onCancel={onClose} busy={action.busy}>
          {action.busy ? "Saving…" : "Save"}
        </SubmitActions>
      </form>
    </Dialog>
  );
}
