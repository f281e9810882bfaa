import type { ReactNode } from "react";
import { ConfirmActions } from "./dialog-actions";
import { Dialog, ErrorBox, useAction } from "./ui";

/**
 * A question before one destructive call: `children` say what it does, Cancel comes first (the safe choice), and the
 * `confirm` button makes the call. A refusal shows in the dialog; once the call succeeded, `onDone` runs and the dialog
 * closes.
 */
export function ConfirmDialog({
  title,
  confirm,
  act,
  onDone,
  onClose,
  disabled = false,
  children,
}: {
  title: string;
  /** The destructive button's label. */
  confirm: ReactNode;
  act: () => Promise<unknown>;
  onDone?: () => void;
  onClose: () => void;
  /** Holds the button back while something the question needs is not known yet. */
  disabled?: boolean;
  children: ReactNode;
}) {
  const action = useAction();
  const run = async () => {
    if (await action.run(act)) {
      onDone?.();
      onClose();
    }
  };
  return (
    <Dialog title={title} onClose={onClose}>
      {children}
      <ErrorBox error={action.error} />
      <ConfirmActions onCancel={onClose} onConfirm={() => void run()} disabled={action.busy || disabled}>
        {confirm}
      </ConfirmActions>
    </Dialog>
  );
}
