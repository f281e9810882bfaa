import type { Entity, Org, Team } from "@latchkey/sdk";
import { useState, type FormEvent } from "react";
import { client } from "../api";
import { NotAllowed, useAccess } from "../access";
import { usePlaces } from "../places";
import { ErrorBox, Field, PageHead, Status, useAction, useLoad } from "../ui";
import { DeleteEntityDialog } from "./delete-entity-dialog";

/** The name (and a team's description) of a team or organisation, saved with `PATCH`. */
function RenameForm({ entity, current, onSaved }: { entity: Entity; current: Team | Org; onSaved: () => void }) {
  const [name, setName] = useState(current.name);
  const [description, setDescription] = useState("description" in current ? current.description : "");
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    const done = await action.run(() =>
      entity.type === "team" ? client.teams.update(entity.id, { name, description }) : client.orgs.update(entity.id, { name }),
    );
    if (done) {
      setSaved(true);
      onSaved();
    }
  };
  return (
    <form className="card form-card" onSubmit={(e) => void submit(e)} aria-labelledby="rename-title">
      <h2 id="rename-title">Name</h2>
      <Field
        label={entity.type === "team" ? "Team name" : "Organisation name"}
        hint={
          <>
            Its id <code>{entity.id}</code> stays as it is: tokens, the CLI and links keep working.
          </>
        }
      >
        {(id) => <input id={id} required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      {entity.type === "team" ? (
        <Field label="Description">
          {(id) => <textarea id={id} rows={2} maxLength={1000} value={description} onChange={(e) => setDescription(e.target.value)} />}
        </Field>
      ) : null}
      <ErrorBox error={action.error} />
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={action.busy}>
          Save
        </button>
        {saved ? (
          <span className="saved" role="status">
            Saved
          </span>
        ) : null}
      </div>
    </form>
  );
}

/** Settings → General of a team or organisation: rename it, or delete it with everything in it. */
export function EntitySettingsPage({ entity }: { entity: Entity }) {
  const what = entity.type === "team" ? "team" : "organisation";
  const current = useLoad<Team | Org>(
    () => (entity.type === "team" ? client.teams.get(entity.id) : client.orgs.get(entity.id)),
    [entity.type, entity.id],
  );
  const access = useAccess(entity);
  const places = usePlaces();
  const [deleting, setDeleting] = useState(false);
  const update = `${entity.type}.update`;
  const remove = `${entity.type}.delete`;
  return (
    <div className="page">
      <PageHead title="General" description={`The ${what}'s name, and deleting it.`} />
      <Status state={current}>
        {(found) => (
          <>
            {access.may(update) ? (
              <RenameForm
                key={`${entity.type}:${entity.id}`}
                entity={entity}
                current={found}
                onSaved={() => {
                  current.reload();
                  places.reload();
                }}
              />
            ) : access.loaded ? (
              <NotAllowed what={`Renaming the ${what}`} permission={update} />
            ) : null}
            <section className="card form-card danger-zone" aria-labelledby="delete-title">
              <h2 id="delete-title">Delete this {what}</h2>
              <p>
                {entity.type === "team"
                  ? "Its tokens are revoked at once; its members, roles, projects, APIs and invitations are deleted."
                  : "Every team in it goes too; every token in it is revoked at once."}
              </p>
              {access.may(remove) ? (
                <button type="button" className="button danger" onClick={() => setDeleting(true)}>
                  Delete {what}
                </button>
              ) : access.loaded ? (
                <NotAllowed what={`Deleting the ${what}`} permission={remove} />
              ) : null}
            </section>
            {deleting ? (
              <DeleteEntityDialog
                entity={entity}
                name={found.name}
                orgId={"orgId" in found ? found.orgId : null}
                onClose={() => setDeleting(false)}
              />
            ) : null}
          </>
        )}
      </Status>
    </div>
  );
}
