import type { Org, Team } from "@latchkey/sdk";
import { useState, type FormEvent } from "react";
import { client } from "../api";
import { Link, navigate } from "../router";
import { settingsPath, useSession } from "../session";
import { ErrorBox, Field, PageHead, Status, useAction, type Loaded } from "../ui";

function CreateForm({ what }: { what: "team" | "org" }) {
  const [name, setName] = useState("");
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const created = await action.run(() => (what === "team" ? client.teams.create({ name }) : client.orgs.create({ name })));
    if (created) navigate(settingsPath({ type: what, id: created.id }, what === "team" ? "/api/tokens" : "/teams"));
  };
  return (
    <form className="card" onSubmit={(e) => void submit(e)}>
      <h2>{what === "team" ? "New team" : "New organisation"}</h2>
      <Field label={what === "team" ? "Team name" : "Organisation name"}>
        {(id) => <input id={id} required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <ErrorBox error={action.error} />
      <button type="submit" className="button" disabled={action.busy}>
        Create {what === "team" ? "team" : "organisation"}
      </button>
    </form>
  );
}

/** The start page: every team and organisation the person reaches, and new ones. */
export function HomePage({ places }: { places: Loaded<[Team[], Org[]]> }) {
  const { user } = useSession();
  return (
    <div className="page">
      <PageHead title={`Welcome${user?.name ? `, ${user.name}` : ""}`} description="Choose where to manage API access." />
      <Status state={places}>
        {([teams, orgs]) => (
          <div className="grid two">
            <section className="card" aria-labelledby="teams-title">
              <h2 id="teams-title">Teams</h2>
              {teams.length === 0 ? <p className="muted">You are in no team yet.</p> : null}
              <ul className="place-list">
                {teams.map((t) => (
                  <li key={t.id}>
                    <Link to={settingsPath({ type: "team", id: t.id }, "/api/tokens")}>{t.name}</Link>
                    <span className="muted"> {t.orgId ? `in ${t.orgId}` : t.id}</span>
                  </li>
                ))}
              </ul>
            </section>
            <section className="card" aria-labelledby="orgs-title">
              <h2 id="orgs-title">Organisations</h2>
              {orgs.length === 0 ? <p className="muted">You are in no organisation.</p> : null}
              <ul className="place-list">
                {orgs.map((o) => (
                  <li key={o.id}>
                    <Link to={settingsPath({ type: "org", id: o.id }, "/teams")}>{o.name}</Link>
                    <span className="muted"> {o.id}</span>
                  </li>
                ))}
              </ul>
            </section>
            <CreateForm what="team" />
            <CreateForm what="org" />
          </div>
        )}
      </Status>
    </div>
  );
}
