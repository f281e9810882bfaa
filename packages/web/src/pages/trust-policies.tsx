import type { Entity, TrustPolicy } from "@latchkey/sdk";
import { useState, type FormEvent } from "react";
import { client } from "../api";
import { ConfirmActions, SubmitActions } from "../dialog-actions";
import { RowButton, Table } from "../table";
import { Dialog, ErrorBox, Field, PageHead, Status, Time, useAction, useLoad } from "../ui";
import { RoleSelect } from "./role-select";

const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";

/** Conditions as the form edits them: one `claim=value` a line. */
const conditionText = (c: Record<string, string>) =>
  Object.entries(c)
    .map(([k, v]) => `${k}=${v}`)
    .join("\n");
function parseConditions(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n").map((l) => l.trim())) {
    if (!line) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) throw new Error(`“${line}” is not claim=value`);
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

/** The form of a new trust policy: every field explained, with a GitHub Actions preset. */
function CreatePolicyDialog({ entity, onClose, onCreated }: { entity: Entity; onClose: () => void; onCreated: () => void }) {
  const roles = useLoad(() => client.roles(entity).all(), [entity.type, entity.id]);
  const [name, setName] = useState("");
  const [issuer, setIssuer] = useState("");
  const [audience, setAudience] = useState("");
  const [conditions, setConditions] = useState("");
  const [roleId, setRoleId] = useState("");
  const [maxLifetime, setMaxLifetime] = useState(900);
  const [repository, setRepository] = useState("");
  const action = useAction();

  const github = () => {
    const [owner = "OWNER"] = repository.split("/");
    setIssuer(GITHUB_ISSUER);
    setAudience(`https://github.com/${owner}`);
    setConditions(`repository=${repository || "OWNER/REPOSITORY"}\nref=refs/heads/main\nenvironment=production`);
    if (!name) setName(`GitHub Actions: ${repository || "repository"}`);
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const created = await action.run(() =>
      client
        .trustPolicies(entity)
        .create({ name, issuer, audience, conditions: parseConditions(conditions), roleId, maxLifetimeSeconds: maxLifetime }),
    );
    if (created) {
      onCreated();
      onClose();
    }
  };
  return (
    <Dialog title="New trust policy" onClose={onClose} wide>
      <form onSubmit={(e) => void submit(e)}>
        <fieldset className="field">
          <legend>GitHub Actions preset</legend>
          <div className="inline-field">
            <label htmlFor="tp-repo">Repository (owner/name)</label>
            <input id="tp-repo" placeholder="acme/api" value={repository} onChange={(e) => setRepository(e.target.value)} />
            <button type="button" className="button subtle" onClick={github}>
              Fill in for GitHub Actions
            </button>
          </div>
          <p className="hint">
            The job needs <code>permissions: id-token: write</code>; it asks GitHub for an ID token with the audience below and trades it at{" "}
            <code>POST /v1/oauth/token</code> (see the README).
          </p>
        </fieldset>
        <Field label="Name" hint="For you: what this policy lets in.">
          {(id) => <input id={id} required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field
          label="Issuer"
          hint="Who signs the ID tokens (their iss). Latchkey reads its keys from <issuer>/.well-known/openid-configuration. https:// only (http:// on loopback)."
        >
          {(id) => <input id={id} required type="url" value={issuer} onChange={(e) => setIssuer(e.target.value)} />}
        </Field>
        <Field
          label="Audience"
          hint="The aud the ID token must name. For GitHub Actions: what the job asks for (by default https://github.com/<owner>)."
        >
          {(id) => <input id={id} required maxLength={512} value={audience} onChange={(e) => setAudience(e.target.value)} />}
        </Field>
        <Field
          label="Conditions"
          hint="One claim=value a line; every one must match, * matches anything. Pin at least one claim (e.g. repository), or any job of the issuer could get in."
        >
          {(id) => <textarea id={id} required rows={4} value={conditions} onChange={(e) => setConditions(e.target.value)} />}
        </Field>
        <RoleSelect
          roles={roles.data}
          value={roleId}
          onChange={setRoleId}
          placeholder={roles.data ? "Choose a role…" : "Loading roles…"}
          hint="The tokens it mints act with this role. You can only choose roles that grant no more than you hold."
        />
        <Field label="Longest token lifetime (seconds)" hint="Each minted token lives at most this long: 60 to 3600 (one hour).">
          {(id) => (
            <input
              id={id}
              type="number"
              min={60}
              max={3600}
              required
              value={maxLifetime}
              onChange={(e) => setMaxLifetime(Number(e.target.value))}
            />
          )}
        </Field>
        <ErrorBox error={action.error} />
        <SubmitActions onCancel={onClose} busy={action.busy}>
          Create policy
        </SubmitActions>
      </form>
    </Dialog>
  );
}

/** Settings → API → Trust policies: CI jobs that get short-lived tokens without a stored secret. */
export function TrustPoliciesPage({ entity }: { entity: Entity }) {
  const policies = useLoad(() => client.trustPolicies(entity).all(), [entity.type, entity.id]);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<TrustPolicy | null>(null);
  const action = useAction();
  return (
    <div className="page">
      <PageHead
        title="Trust policies"
        description="A CI job (GitHub Actions, GitLab CI…) trades its short-lived OIDC ID token for a Latchkey token of one role: nothing long-lived is stored in the CI."
      >
        <button type="button" className="button primary" onClick={() => setCreating(true)}>
          New trust policy
        </button>
      </PageHead>
      <Status state={policies} empty="No trust policies yet.">
        {(list) => (
          <Table caption="Trust policies" columns={["Name", "Issuer", "Audience", "Conditions", "Role", "Max lifetime", "Created"]} actions>
            {list.map((p) => (
              <tr key={p.id}>
                <th scope="row">{p.name}</th>
                <td>{p.issuer}</td>
                <td>{p.audience}</td>
                <td>
                  <pre className="small">{conditionText(p.conditions)}</pre>
                </td>
                <td>
                  <code>{p.roleId}</code>
                </td>
                <td>{Math.round(p.maxLifetimeSeconds / 60)} min</td>
                <td>
                  <Time at={p.createdAt} />
                </td>
                <td className="row-actions">
                  <RowButton label="Delete" name={`Delete ${p.name}`} danger onClick={() => setDeleting(p)} />
                </td>
              </tr>
            ))}
          </Table>
        )}
      </Status>
      {creating ? <CreatePolicyDialog entity={entity} onClose={() => setCreating(false)} onCreated={policies.reload} /> : null}
      {deleting ? (
        <Dialog title="Delete trust policy" onClose={() => setDeleting(null)}>
          <p>
            Delete “{deleting.name}”? Jobs stop getting tokens at once; tokens it minted live on until they expire (at most{" "}
            {Math.round(deleting.maxLifetimeSeconds / 60)} minutes).
          </p>
          <ErrorBox error={action.error} />
          <ConfirmActions
            onCancel={() => setDeleting(null)}
            disabled={action.busy}
            onConfirm={() =>
              void action
                .run(() => client.trustPolicies(entity).delete(deleting.id))
                .then((r) => {
                  if (r) {
                    setDeleting(null);
                    policies.reload();
                  }
                })
            }
          >
            Delete
          </ConfirmActions>
        </Dialog>
      ) : null}
    </div>
  );
}
