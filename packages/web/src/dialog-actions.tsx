import { useState, type ReactNode } from "react";
import { Field } from "./ui";

/** A form dialog's footer: Cancel, and the submit button, disabled while the action runs. */
export function SubmitActions({ onCancel, busy, children }: { onCancel: () => void; busy: boolean; children: ReactNode }) {
  return (
    <div className="dialog-actions">
      <button type="button" className="button subtle" onClick={onCancel}>
        Cancel
      </button>
      <button type="submit" className="button primary" disabled={busy}>
        {children}
      </button>
    </div>
  );
}

/** The footer of a dialog that only tells something: one button that closes it ("Done", "I have copied it"). */
export function DoneActions({ onDone, children = "Done" }: { onDone: () => void; children?: ReactNode }) {
  return (
    <div className="dialog-actions">
      <button type="button" className="button primary" onClick={onDone}>
        {children}
      </button>
    </div>
  );
}

/** A confirmation's footer: Cancel, focused first (the safe choice), and the destructive button. */
export function ConfirmActions({
  onCancel,
  onConfirm,
  disabled,
  children,
}: {
  onCancel: () => void;
  onConfirm: () => void;
  disabled: boolean;
  children: ReactNode;
}) {
  return (
    <div className="dialog-actions">
      <button type="button" className="button subtle" onClick={onCancel} autoFocus>
        Cancel
      </button>
      <button type="button" className="button danger" disabled={disabled} onClick={onConfirm}>
        {children}
      </button>
    </div>
  );
}

/**
 * The footer of a confirmation that cannot be undone and takes much with it: the destructive button works only once
 * `name` has been typed, so that a hurried click on the wrong row does nothing.
 */
export function ConfirmByName({
  name,
  onCancel,
  onConfirm,
  busy,
  children,
}: {
  name: string;
  onCancel: () => void;
  onConfirm: () => void;
  busy: boolean;
  children: ReactNode;
}) {
  const [typed, setTyped] = useState("");
  return (
    <>
      <Field label={`Type ${name} to confirm`}>
        {(id) => <input id={id} autoComplete="off" spellCheck={false} value={typed} onChange={(e) => setTyped(e.target.value)} />}
      </Field>
      <ConfirmActions onCancel={onCancel} onConfirm={onConfirm} disabled={busy || typed.trim() !== name.trim()}>
        {children}
      </ConfirmActions>
    </>
  );
}
