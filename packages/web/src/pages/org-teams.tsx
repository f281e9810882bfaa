import type { Entity } from "@latchkey/sdk";
import { useState, type FormEvent } from "react";
import { client } from "../api";
import { Link } from "../router";
import { settingsPath } from "../session";
import { ErrorBox, Field, PageHead, Status, Time, useAction, useLoad } from "../ui";

/** The teams of an organisation, and a new one. */
export function OrgTeamsPage({ org }: { org: Entity }) {
  const teams = useLoad(() => client.orgs.teams(org.id), [org.id]);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await action.run(() => client.orgs.createTeam(org.id, { name, description }))) {
      setName("");
      setDescription("");
      teams.reload();
    }
  };
  return (
    <div className="page">
      <PageHead title="Teams" description="Organisation roles reach these teams (all of them, or the ones a role is limited to)." />
      <Status state={teams} empty="This organisation has no teams yet.">
        {(list) => (
          <div className="table-wrap">
            <table>
              <caption className="sr-only">Teams of the organisation</caption>
              <thead>
                <tr>
                  <th scope="col">Team</th>
                  <th scope="col">Description</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {list.map((t) => (
                  <tr key={t.id}>
                    <th scope="row">
                      <Link to={settingsPath({ type: "team", id: t.id }, "/api/tokens")}>{t.name}</Link>{" "}
                      <code className="muted">{t.id}</code>
                    </th>
                    <td className="desc">{t.description || <span className="muted">—</span>}</td>
                    <td>
                      <Time at={t.createdAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Status>
      <form className="card inline-form" onSubmit={(e) => void submit(e)} aria-label="New team">
        <Field label="New team name">
          {(id) => <input id={id} required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Description">
          {(id) => <input id={id} maxLength={1000} value={description} onChange={(e) => setDescription(e.target.value)} />}
        </Field>
        <button type="submit" className="button primary" disabled={action.busy}>
          Create team
        </button>
      </form>
      <ErrorBox error={action.error} />
    </div>
  );
}
