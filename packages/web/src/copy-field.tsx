import type { ReactNode } from "react";
import { DoneActions } from "./dialog-actions";
import { CopyButton, Field } from "./ui";

/** A read-only value to copy (a link, a secret): selected on focus, with a Copy button; a `secret` is set in monospace. */
export function CopyField({ label, value, secret = false }: { label: string; value: string; secret?: boolean }) {
  return (
    <Field label={label}>
      {(id) => (
        <div className="secret-row">
          <input
            id={id}
            className={secret ? "secret" : undefined}
            readOnly
            value={value}
            onFocus={(e) => e.target.select()}
            spellCheck={secret ? false : undefined}
          />
          <CopyButton text={value} />
        </div>
      )}
    </Field>
  );
}

/**
 * A secret Latchkey shows once, right after making it, and keeps only in a form it cannot show again: the `warning`
 * says so, then the secret to copy, an optional `note`, and the button that closes the dialog.
 */
export function SecretShownOnce({
  warning,
  label,
  secret,
  note,
  onDone,
}: {
  warning: ReactNode;
  label: string;
  secret: string;
  note?: ReactNode;
  onDone: () => void;
}) {
  return (
    <>
      <p className="warning" role="alert">
        {warning}
      </p>
      <CopyField label={label} value={secret} secret />
      {note}
      <DoneActions onDone={onDone}>I have copied it</DoneActions>
    </>
  );
}
