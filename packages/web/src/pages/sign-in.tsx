import type { SessionReply } from "@latchkey/sdk";
import { useState, type FormEvent } from "react";
import { client } from "../api";
import { navigate, useLocation } from "../router";
import { safeNext, useSession } from "../session";
import { ErrorBox, Field, useAction } from "../ui";

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
          <input id={id} type="email" autoComplete="username" required autoFocus value={email} onChange={(e) => setEmail(e.target.value)} />
        )}
      </Field>
      <Field label="Password">
        {(id) => (
          <input
            id={id}
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        )}
      </Field>
      <ErrorBox error={action.error} />
      <button type="submit" className="button primary block" disabled={action.busy}>
        {action.busy ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}

/** A new password, twice. */
export function PasswordFields({
  password,
  setPassword,
  confirm,
  setConfirm,
}: {
  password: string;
  setPassword: (v: string) => void;
  confirm: string;
  setConfirm: (v: string) => void;
}) {
  const field = (label: string, value: string, set: (v: string) => void, hint?: string) => (
    <Field label={label} hint={hint}>
      {(id) => (
        <input
          id={id}
          type="password"
          autoComplete="new-password"
          minLength={12}
          required
          value={value}
          onChange={(e) => set(e.target.value)}
        />
      )}
    </Field>
  );
  return (
    <>
      {field("Password", password, setPassword, "At least 12 characters.")}
      {field("Repeat the password", confirm, setConfirm)}
    </>
  );
}

/**
 * What the forms that create an account and sign it in share (first-run setup, accepting an invitation): name,
 * password twice, and a submit that checks the two passwords agree, signs in and goes home.
 */
export function useNewAccount(create: (name: string, password: string) => Promise<SessionReply>) {
  const { signedIn } = useSession();
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const reply = await action.run(async () => {
      if (password !== confirm) throw new Error("The two passwords differ.");
      return create(name, password);
    });
    if (reply) {
      signedIn(reply.user, reply.csrfToken);
      navigate("/", { replace: true });
    }
  };
  const passwordFields = <PasswordFields password={password} setPassword={setPassword} confirm={confirm} setConfirm={setConfirm} />;
  return { name, setName, passwordFields, action, submit };
}

/** First run: the one-time link the server printed creates the owner account. */
export function SetupPage() {
  const token = useLocation().query.get("token") ?? "";
  const [email, setEmail] = useState("");
  const form = useNewAccount((name, password) => client.setup.create({ token, email, name, password }));

  return (
    <form className="card narrow" onSubmit={(e) => void form.submit(e)} aria-labelledby="setup-title">
      <h1 id="setup-title">Set up Latchkey</h1>
      <p className="muted">Create the first account. It owns this instance; invite everyone else from the console afterwards.</p>
      {!token ? <p className="error">This page needs the one-time setup link the server printed when it first started.</p> : null}
      <Field label="E-mail">
        {(id) => <input id={id} type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />}
      </Field>
      <Field label="Your name">
        {(id) => <input id={id} required maxLength={100} value={form.name} onChange={(e) => form.setName(e.target.value)} />}
      </Field>
      {form.passwordFields}
      <ErrorBox error={form.action.error} />
      <button type="submit" className="button primary block" disabled={form.action.busy || !token}>
        Create the owner account
      </button>
    </form>
  );
}
