// A role's restrictions: a team role's projects (in / not in), an organisation role's teams and their projects.
import type { OrgRestrictions, ProjectRestrictions } from "@latchkey/sdk";
import { client } from "../api";
import { Field, Loading, Status, useLoad } from "../ui";

const split = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

export function ProjectRestrictionEditor({
  teamId,
  value,
  onChange,
  legend,
}: {
  teamId: string;
  value: ProjectRestrictions;
  onChange: (v: ProjectRestrictions) => void;
  legend: string;
}) {
  const projects = useLoad(() => client.projects(teamId).all(), [teamId]);
  return (
    <fieldset className="field restriction">
      <legend>{legend}</legend>
      <label className="choice block">
        <input type="checkbox" checked={value.enabled} onChange={(e) => onChange({ ...value, enabled: e.target.checked })} />
        Limit to chosen projects
      </label>
      {value.enabled ? (
        <>
          <div className="inline-field">
            <label htmlFor={`${teamId}-mode`}>The role applies to</label>
            <select
              id={`${teamId}-mode`}
              value={value.restrictionMode}
              onChange={(e) => onChange({ ...value, restrictionMode: e.target.value as "in" | "notIn" })}
            >
              <option value="in">only these projects</option>
              <option value="notIn">every project except these</option>
            </select>
          </div>
          {projects.error !== undefined ? (
            <Field label="Project ids (comma-separated)" hint="The project list could not be read; type the ids.">
              {(id) => (
                <input
                  id={id}
                  value={value.projects.join(", ")}
                  onChange={(e) => onChange({ ...value, projects: split(e.target.value) })}
                />
              )}
            </Field>
          ) : projects.data === undefined ? (
            <Loading label="Loading projects…" />
          ) : projects.data.length === 0 ? (
            <p className="muted">This team has no projects yet.</p>
          ) : (
            <div className="choices">
              {projects.data.map((p) => (
                <label key={p.id} className="choice">
                  <input
                    type="checkbox"
                    checked={value.projects.includes(p.id)}
                    onChange={(e) =>
                      onChange({
                        ...value,
                        projects: e.target.checked ? [...value.projects, p.id] : value.projects.filter((id) => id !== p.id),
                      })
                    }
                  />
                  {p.name}
                </label>
              ))}
            </div>
          )}
        </>
      ) : null}
    </fieldset>
  );
}

export function OrgRestrictionEditor({
  orgId,
  value,
  onChange,
}: {
  orgId: string;
  value: OrgRestrictions;
  onChange: (v: OrgRestrictions) => void;
}) {
  const teams = useLoad(() => client.orgs.teams(orgId), [orgId]);
  const noProjects: ProjectRestrictions = { enabled: false, projects: [], restrictionMode: "in" };
  return (
    <fieldset className="field restriction">
      <legend>Team restrictions</legend>
      <label className="choice block">
        <input type="checkbox" checked={value.enabled} onChange={(e) => onChange({ ...value, enabled: e.target.checked })} />
        Limit to chosen teams of the organisation
      </label>
      {value.enabled ? (
        <Status state={teams} empty="The organisation has no teams yet.">
          {(list) => (
            <div className="team-restrictions">
              {list.map((t) => {
                const chosen = value.teams.find((x) => x.teamId === t.id);
                return (
                  <div key={t.id} className="team-restriction">
                    <label className="choice block">
                      <input
                        type="checkbox"
                        checked={chosen !== undefined}
                        onChange={(e) =>
                          onChange({
                            ...value,
                            teams: e.target.checked
                              ? [...value.teams, { teamId: t.id, restrictions: noProjects }]
                              : value.teams.filter((x) => x.teamId !== t.id),
                          })
                        }
                      />
                      {t.name} <code className="muted">{t.id}</code>
                    </label>
                    {chosen ? (
                      <ProjectRestrictionEditor
                        teamId={t.id}
                        legend={`Projects of ${t.name}`}
                        value={chosen.restrictions}
                        onChange={(r) =>
                          onChange({ ...value, teams: value.teams.map((x) => (x.teamId === t.id ? { teamId: t.id, restrictions: r } : x)) })
                        }
                      />
                    ) : null}
                  </div>
                );
              })}
            </div>
          )}
        </Status>
      ) : null}
    </fieldset>
  );
}

/** Create a role (`roleId` absent) or edit one: permissions by scope and group, restrictions, and who holds it. */
