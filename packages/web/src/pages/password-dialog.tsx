import { useState, type FormEvent } from "react";
import { client } from "../api";
import { DoneActions, SubmitActions } from "../dialog-actions";
import { CurrentPasswordField, usePasswordFields } from "../password-fields";
import { Dialog, ErrorBox, useAction } from "../ui";

/** Changes the signed-in person's password: every other session of theirs ends, this one goes on. */
function PasswordDialog({ onClose }: { onClose: () => void }) {
  const [current, setCurrent] = useState("");
  const [done, setDone] = useState(false);
  const action = useAction();
  // Each field says what is wrong with what it holds now; the server's answer (a wrong current password) is about
  // what was sent, and goes when the person types again.
  const passwords = usePasswordFields({ password: "New password", repeat: "Repeat the new password" }, action.clear);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!passwords.check()) return;
    const ok = await action.run(() => client.session.changePassword(current, passwords.password));
    if (ok) setDone(true);
  };
  if (done) {
    return (
      <Dialog title="Password changed" onClose={onClose}>
        <p role="status">Your password is changed. Every other session of yours has ended; this one goes on.</p>
        <DoneActions onDone={onClose} />
      </Dialog>
    );
  }
  return (
    <Dialog title="Change password" onClose={onClose}>
      <form onSubmit={(e) => void submit(e)}>
        <CurrentPasswordField label="Current password" value={current} onChange={setCurrent} onEdit={action.clear} />
        {passwords.fields}
        <ErrorBox error={action.error} />
        <SubmitActions onCancel={onClose} busy={action.busy}>
          Change password
        </SubmitActions>
      </form>
    </Dialog>
  );
}

/** The header's "Change password" button and its dialog. */
export function PasswordButton() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="button subtle" onClick={() => setOpen(true)}>
        Change password
      </button>
      {open ? <PasswordDialog onClose={() => setOpen(false)} /> : null}
    </>
  );
}
