import { ApiError } from "@latchkey/sdk";
import { useState, type FormEvent } from "react";
import { client } from "../api";
import { navigate, useLocation } from "../router";
import { useSession } from "../session";
import { ErrorBox, Field, useAction } from "../ui";
import { useNewAccount } from "./sign-in";

/**
 * The link sent to the invited address (`?confirm=`), which proves it is theirs: a new account with a name and a
 * password, or an existing account's password. Joins with the invited roles and signs in.
 */
function ConfirmInvitePage({ token }: { token: string }) {
  const form = useNewAccount((name, password) =>
    client.confirmInvitation({ token, password, ...(name.trim() ? { name: name.trim() } : {}) }),
  );
  return (
    <form className="card narrow" onSubmit={(e) => void form.submit(e)} aria-labelledby="invite-title">
      <h1 id="invite-title">Accept your invitation</h1>
      <p className="muted">Choose your name and a password to create your account and join.</p>
      <Field label="Your name" hint="Already have an account with this address? Leave the name empty and give that account's password.">
        {(id) => <input id={id} autoFocus maxLength={100} value={form.name} onChange={(e) => form.setName(e.target.value)} />}
      </Field>
      {form.passwordFields}
      <ErrorBox error={form.action.error} />
      <button type="submit" className="button primary block" disabled={form.action.busy}>
        Join
      </button>
    </form>
  );
}

/**
 * The link the inviter was given (`?token=`). It proves nothing about the address, so it only lets an account that
 * already exists join, on its password. Anything else is answered CONFIRMATION_REQUIRED: not a failure of the page,
 * but the next step, which is the link sent to the address.
 */
function AcceptInvitePage({ token }: { token: string }) {
  const { signedIn } = useSession();
  const [password, setPassword] = useState("");
  const [confirmation, setConfirmation] = useState<string | null>(null);
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setConfirmation(null);
    const reply = await action.run(async () => {
      try {
        return await client.acceptInvitation({ token, password });
      } catch (error) {
        if (error instanceof ApiError && error.code === "CONFIRMATION_REQUIRED") {
          setConfirmation(error.message);
          return undefined;
        }
        throw error;
      }
    });
    if (reply) {
      signedIn(reply.user, reply.csrfToken);
      navigate("/", { replace: true });
    }
  };
  return (
    <form className="card narrow" onSubmit={(e) => void submit(e)} aria-labelledby="invite-title">
      <h1 id="invite-title">Accept your invitation</h1>
      <p className="muted">
        This link is for an address that already has an account here: give that account&apos;s password to join. New here? Open the link
        sent to your e-mail address instead.
      </p>
      <Field label="Password of your account">
        {(id) => (
          <input
            id={id}
            type="password"
            autoComplete="current-password"
            required
            autoFocus
            value={password}
            onChange={(e) => {
              setPassword(e.target.value);
              action.clear();
            }}
          />
        )}
      </Field>
      {confirmation ? (
        <div className="notice spaced" role="status" data-testid="confirmation-required">
          <strong>Open the link sent to your address.</strong> {confirmation} Trying this link sends it there again (at most once every ten
          minutes).
        </div>
      ) : null}
      <ErrorBox error={action.error} />
      <button type="submit" className="button primary block" disabled={action.busy}>
        Join
      </button>
    </form>
  );
}

/** `/invite`: the link sent to the address (`?confirm=`), or the one the inviter was given (`?token=`). */
export function InvitePage() {
  const { query } = useLocation();
  const confirm = query.get("confirm");
  const token = query.get("token");
  if (confirm) return <ConfirmInvitePage token={confirm} />;
  if (token) return <AcceptInvitePage token={token} />;
  return (
    <div className="card narrow">
      <h1>Accept your invitation</h1>
      <p className="error">This page needs the invitation link you were sent.</p>
    </div>
  );
}
