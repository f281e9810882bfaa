import type { Entity } from "@latchkey/sdk";
import { useState, type FormEvent } from "react";
import { client } from "../api";
import { Link } from "../router";
import { settingsPath } from "../session";
import { ErrorBox, Field, PageHead, Status, Time, useAction, useLoad } from "../ui";
import { DescriptionCell, Table } from "../table";

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
          <Table caption="Teams of the organisation" columns={["Team", "Description", "Created"]}>
            {list.map((t) => (
              <tr key={t.id}>
                <th scope="row">
                  <Link to={settingsPath({ type: "team", id: t.id }, "/api/tokens")}>{t.name}</Link> <code className="muted">{t.id}</code>
                </th>
                <DescriptionCell text={t.description} />
                <td>
                  <Time at={t.createdAt} />
                </td>
              </tr>
            ))}
          </Table>
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
