import type { ReactNode } from "react";

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
