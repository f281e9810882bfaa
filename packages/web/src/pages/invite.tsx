import { ApiError, type InvitationPreview } from "@latchkey/sdk";
import { useState, type FormEvent, type ReactNode } from "react";
import { client } from "../api";
import { navigate, useLocation } from "../router";
import { CurrentPasswordField } from "../password-fields";
import { useSession } from "../session";
import { ErrorBox, Field, Loading, Time, useAction, useLoad } from "../ui";
import { useNewAccount } from "./sign-in";

/** Who invited whom, where, with which roles: what the person is about to accept. */
function Summary({ preview }: { preview: InvitationPreview }) {
  const where = preview.entityType === "team" ? "the team" : "the organisation";
  const roles = preview.roles.map((r) => r.name);
  return (
    <p className="invite-summary" data-testid="invite-summary">
      {preview.invitedBy ? (
        <>
          <strong>{preview.invitedBy.name || preview.invitedBy.email}</strong>
          {preview.invitedBy.name ? <span className="muted"> ({preview.invitedBy.email})</span> : null} invited{" "}
        </>
      ) : (
        "You are invited: "
      )}
      <strong>{preview.email}</strong> to join {where} <strong>{preview.entityName}</strong>{" "}
      {roles.length > 0 ? (
        <>
          with the role{roles.length === 1 ? "" : "s"} <strong>{roles.join(", ")}</strong>
        </>
      ) : null}
      . The invitation expires <Time at={preview.expiresAt} />.
    </p>
  );
}

/**
 * Reads where a link leads before anything is typed: a link that no longer works says so at once, instead of after
 * the form is filled.
 */
function WithPreview({ link, children }: { link: { token: string } | { confirm: string }; children: ReactNode }) {
  const key = "token" in link ? link.token : link.confirm;
  const preview = useLoad(() => client.lookupInvitation(link), [key]);
  if (preview.data === undefined && preview.error === undefined) return <Loading label="Reading the invitation…" />;
  if (preview.error !== undefined) {
    const gone = preview.error instanceof ApiError && preview.error.status === 404;
    return (
      <div className="card narrow" data-testid="invite-unusable">
        <h1>Accept your invitation</h1>
        {gone ? (
          <p className="error" role="alert">
            This invitation link no longer works: it was used, revoked, replaced by a newer link, or it expired. Ask whoever invited you for
            a new one.
          </p>
        ) : (
          <ErrorBox error={preview.error} onRetry={preview.reload} />
        )}
      </div>
    );
  }
  return (
    <>
      {preview.data ? <Summary preview={preview.data} /> : null}
      {children}
    </>
  );
}

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
      <CurrentPasswordField label="Password of your account" value={password} onChange={setPassword} onEdit={action.clear} autoFocus />
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
  if (confirm)
    return (
      <WithPreview link={{ confirm }}>
        <ConfirmInvitePage token={confirm} />
      </WithPreview>
    );
  if (token)
    return (
      <WithPreview link={{ token }}>
        <AcceptInvitePage token={token} />
      </WithPreview>
    );
  return (
    <div className="card narrow">
      <h1>Accept your invitation</h1>
      <p className="error">This page needs the invitation link you were sent.</p>
    </div>
  );
}
