import type { Entity } from "@latchkey/sdk";
import { useState, type FormEvent } from "react";
import { client } from "../api";
import { useLocation } from "../router";
import { useLifetime } from "../lifetime";
import { ErrorBox, Field, Loading, useAction, useLoad } from "../ui";
import { Answered, ApproveOrDeny, PlaceFields } from "./approval-form";
import { RoleSelect } from "./role-select";
import { useAccess } from "../access";

/**
 * The browser half of `latchkey login`: the signed-in person picks a team role or an organisation role, a name and a
 * lifetime, and approves (the CLI receives the token over its socket) or denies.
 */
export function CliLoginPage() {
  const { query } = useLocation();
  const sessionToken = query.get("sessionToken") ?? "";
  const places = useLoad(() => Promise.all([client.teams.all(), client.orgs.all()]), []);
  const login = useLoad(() => (sessionToken ? client.cliLogin.describe(sessionToken) : Promise.resolve(null)), [sessionToken]);
  const [matches, setMatches] = useState(false);
  const [kind, setKind] = useState<"team" | "org">("team");
  const [entityId, setEntityId] = useState("");
  const [roleId, setRoleId] = useState("");
  const [name, setName] = useState(`CLI on ${navigator.platform || "this computer"}, ${new Date().toISOString().slice(0, 10)}`);
  const lifetime = useLifetime();
  const [done, setDone] = useState<"approved" | "denied" | null>(null);
  const action = useAction();
  const entity: Entity | null = entityId ? { type: kind, id: entityId } : null;
  const roles = useLoad(() => (entity ? client.roles(entity).all() : Promise.resolve([])), [kind, entityId]);
  // Only the roles this person may mint a token from.
  const access = useAccess(entity);

  if (!sessionToken) {
    return (
      <div className="page narrow-page">
        <h1>Command-line login</h1>
        <p className="error" role="alert">
          This page needs the link that <code>latchkey login</code> printed or opened (it carries a session token).
        </p>
      </div>
    );
  }
  if (done) {
    return (
      <Answered title={done === "approved" ? "Command-line login approved" : "Command-line login denied"}>
        {done === "approved"
          ? "The CLI has its token now. You can close this tab and go back to your terminal."
          : "The CLI was told no. You can close this tab."}
      </Answered>
    );
  }

  const approve = async (event: FormEvent) => {
    event.preventDefault();
    const expiresAt = lifetime.expiresAt();
    const body =
      kind === "team"
        ? { sessionToken, teamId: entityId, roleId, name, expiresAt }
        : { sessionToken, orgId: entityId, roleId, name, expiresAt };
    if (await action.run(() => client.cliLogin.approve(body))) setDone("approved");
  };
  const deny = async () => {
    if (await action.run(() => client.cliLogin.deny(sessionToken))) setDone("denied");
  };

  return (
    <div className="page narrow-page">
      <h1>Approve a command-line login</h1>
      <p className="notice">
        A <code>latchkey login</code> is waiting for an API token. Approve only if you started it yourself, just now. The token acts with
        the role you choose.
      </p>
      <ErrorBox error={login.error} onRetry={login.reload} />
      {login.data === undefined && !login.error ? <Loading /> : null}
      {login.data?.pairingCode ? (
        <div className="card pairing" aria-label="Pairing code">
          <p>Your terminal shows a pairing code. Compare it with this one:</p>
          <p className="pairing-code" data-testid="pairing-code">
            {login.data.pairingCode}
          </p>
          <label className="choice">
            <input type="checkbox" checked={matches} onChange={(e) => setMatches(e.target.checked)} />
            My terminal shows this same code
          </label>
        </div>
      ) : null}
      {login.data && login.data.pairingCode === null ? (
        <p className="notice warn-text" data-testid="no-pairing-code">
          The client that started this login showed no pairing code, so there is nothing to compare: approve only if you started it
          yourself, on your own computer, just now.
        </p>
      ) : null}
      {places.data === undefined ? <Loading /> : null}
      <ErrorBox error={places.error} onRetry={places.reload} />
      <form className="card" onSubmit={(e) => void approve(e)}>
        <PlaceFields
          kind={kind}
          entityId={entityId}
          places={places.data}
          sayNone
          onChange={(k, id) => {
            setKind(k);
            setEntityId(id);
            setRoleId("");
          }}
        />
        <RoleSelect
          roles={access.grantable(roles.data)}
          value={roleId}
          onChange={setRoleId}
          disabled={!entityId}
          placeholder={entityId ? (roles.data ? "Choose a role…" : "Loading roles…") : "Choose the team or organisation first"}
        />
        <ErrorBox error={roles.error} />
        <Field label="Token name">
          {(id) => <input id={id} required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        {lifetime.field}
        <ErrorBox error={action.error} />
        <ApproveOrDeny
          busy={action.busy}
          onDeny={() => void deny()}
          approveDisabled={!login.data || (login.data.pairingCode !== null && !matches)}
          approveTitle={login.data?.pairingCode && !matches ? "Compare the pairing code first" : undefined}
        />
      </form>
    </div>
  );
}
