import type { SessionReply } from "@latchkey/sdk";
import { useState, type FormEvent } from "react";
import { client } from "../api";
import { Link, navigate, useLocation } from "../router";
import { safeNext, useSession } from "../session";
import { CurrentPasswordField, usePasswordFields } from "../password-fields";
import { ErrorBox, Field, useAction, useLoad } from "../ui";

export function SignInPage() {
  const { query } = useLocation();
  const { signedIn } = useSession();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const action = useAction();
  const next = safeNext(query.get("next"));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const reply = await action.run(() => client.session.signIn(email, password));
    if (reply) {
      signedIn(reply.user, reply.csrfToken);
      navigate(next, { replace: true });
    }
  };

  return (
    <form className="card narrow" onSubmit={(e) => void submit(e)} aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      {next.startsWith("/cli-login") ? <p className="notice">Sign in to approve the command-line login.</p> : null}
      <Field label="E-mail">
        {(id) => (
          <input
            id={id}
            type="email"
            autoComplete="username"
            required
            autoFocus
            value={email}
            onChange={(e) => {
              setEmail(e.target.value);
              action.clear();
            }}
          />
        )}
      </Field>
      <CurrentPasswordField label="Password" value={password} onChange={setPassword} onEdit={action.clear} />
      <ErrorBox error={action.error} />
      <button type="submit" className="button primary block" disabled={action.busy}>
        {action.busy ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}

/**
 * What the forms that create an account and sign it in share (first-run setup, accepting an invitation): name,
 * password twice (each field saying what is wrong with it as it is typed), and a submit that sends only what the
 * fields accept, signs in and goes home.
 */
export function useNewAccount(create: (name: string, password: string) => Promise<SessionReply>) {
  const { signedIn } = useSession();
  const [name, setName] = useState("");
  const action = useAction();
  // The server's answer was about what was sent: typing a new password makes it stale.
  const passwords = usePasswordFields({ password: "Password", repeat: "Repeat the password" }, action.clear);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!passwords.check()) return;
    const reply = await action.run(() => create(name, passwords.password));
    if (reply) {
      signedIn(reply.user, reply.csrfToken);
      navigate("/", { replace: true });
    }
  };
  return { name, setName, passwordFields: passwords.fields, action, submit };
}

/** First run: the one-time link the server printed creates the owner account. */
export function SetupPage() {
  const token = useLocation().query.get("token") ?? "";
  // Asked as the page loads: a link that can no longer work says so before anyone fills in the form.
  const status = useLoad(() => (token ? client.setup.status(token) : Promise.resolve(null)), [token]);
  const [email, setEmail] = useState("");
  const form = useNewAccount((name, password) => client.setup.create({ token, email, name, password }));
  const refusal = !token
    ? "This page needs the one-time setup link the server printed when it first started."
    : status.data && !status.data.needsSetup
      ? "This setup link has been used: Latchkey has its first account already. Sign in, or ask its owner to invite you."
      : status.data?.linkValid === false
        ? "This setup link is not valid: the server prints a new one each time it starts while no account exists. Use the one it printed last."
        : null;

  return (
    <form className="card narrow" onSubmit={(e) => void form.submit(e)} aria-labelledby="setup-title">
      <h1 id="setup-title">Set up Latchkey</h1>
      {refusal ? (
        <>
          <p className="error" role="alert">
            {refusal}
          </p>
          {status.data && !status.data.needsSetup ? (
            <Link className="button primary block" to="/sign-in">
              Sign in
            </Link>
          ) : null}
        </>
      ) : (
        <>
          <p className="muted">Create the first account. It owns this instance; invite everyone else from the console afterwards.</p>
          <ErrorBox error={status.error} />
          <Field label="E-mail">
            {(id) => (
              <input id={id} type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
            )}
          </Field>
          <Field label="Your name">
            {(id) => <input id={id} required maxLength={100} value={form.name} onChange={(e) => form.setName(e.target.value)} />}
          </Field>
          {form.passwordFields}
          <ErrorBox error={form.action.error} />
          <button type="submit" className="button primary block" disabled={form.action.busy || status.loading}>
            Create the owner account
          </button>
        </>
      )}
    </form>
  );
}
