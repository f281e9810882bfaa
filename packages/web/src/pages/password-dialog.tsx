import { useState, type FormEvent } from "react";
import { client } from "../api";
import { SubmitActions } from "../dialog-actions";
import { Dialog, ErrorBox, Field, useAction } from "../ui";

const MIN_LENGTH = 12;

/** Changes the signed-in person's password: every other session of theirs ends, this one goes on. */
function PasswordDialog({ onClose }: { onClose: () => void }) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [done, setDone] = useState(false);
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const ok = await action.run(async () => {
      if (next.length < MIN_LENGTH) throw new Error(`The new password needs at least ${MIN_LENGTH} characters.`);
      if (next !== again) throw new Error("The new password and its repetition differ.");
      return client.session.changePassword(current, next);
    });
    if (ok) setDone(true);
  };
  if (done) {
    return (
      <Dialog title="Password changed" onClose={onClose}>
        <p role="status">Your password is changed. Every other session of yours has ended; this one goes on.</p>
        <div className="dialog-actions">
          <button type="button" className="button primary" onClick={onClose}>
            Done
          </button>
        </div>
      </Dialog>
    );
  }
  return (
    <Dialog title="Change password" onClose={onClose}>
      <form onSubmit={(e) => void submit(e)}>
        <Field label="Current password">
          {(id) => (
            <input
              id={id}
              type="password"
              autoComplete="current-password"
              required
              value={current}
              onChange={(e) => setCurrent(e.target.value)}
            />
          )}
        </Field>
        <Field label="New password" hint={`At least ${MIN_LENGTH} characters.`}>
          {(id) => (
            <input id={id} type="password" autoComplete="new-password" required value={next} onChange={(e) => setNext(e.target.value)} />
          )}
        </Field>
        <Field label="Repeat the new password">
          {(id) => (
            <input id={id} type="password" autoComplete="new-password" required value={again} onChange={(e) => setAgain(e.target.value)} />
          )}
        </Field>
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
