import type { Entity, OrgRestrictions, PermissionInfo, PermissionSet, ProjectRestrictions, Role } from "@latchkey/sdk";
import { useEffect, useState, type FormEvent } from "react";
import { client } from "../api";
import { Link, navigate } from "../router";
import { settingsPath } from "../session";
import { Badge, ErrorBox, Field, Loading, PageHead, useAction, useLoad } from "../ui";
import { ApiScopePicker } from "./api-scope-picker";
import { OrgRestrictionEditor, ProjectRestrictionEditor } from "./restriction-editors";
import { RoleMembers } from "./role-members";
import { DeleteRoleDialog } from "./roles";
import { NotAllowed, useAccess } from "../access";

const SCOPES = [
  { scope: "org", key: "orgScope", title: "Organisation" },
  { scope: "team", key: "teamScope", title: "Team" },
  { scope: "project", key: "projectScope", title: "Projects" },
] as const;

const EMPTY: PermissionSet = { orgScope: [], teamScope: [], projectScope: [], apiScope: [] };

function PermissionPicker({
  catalogue,
  entity,
  value,
  onChange,
}: {
  catalogue: PermissionInfo[];
  entity: Entity;
  value: PermissionSet;
  onChange: (value: PermissionSet) => void;
}) {
  const scopes = SCOPES.filter((s) => entity.type === "org" || s.scope !== "org");
  return (
    <div className="permissions">
      {scopes.map(({ scope, key, title }) => {
        const entries = catalogue.filter((p) => p.scope === scope);
        const groups = [...new Set(entries.map((p) => p.group))];
        return (
          <fieldset key={scope} className="scope">
            <legend>
              {title} scope <code className="muted">{key}</code>
            </legend>
            {groups.map((group) => (
              <div key={group} className="perm-group" role="group" aria-label={`${title}: ${group}`}>
                <h4>{group}</h4>
                {entries
                  .filter((p) => p.group === group)
                  .map((p) => {
                    const checked = value[key].includes(p.id);
                    return (
                      <label key={p.id} className={p.sensitive ? "perm sensitive" : "perm"}>
                        <input
                          type="checkbox"
                          checked={checked}
                          aria-label={p.sensitive ? `${p.label} (sensitive)` : p.label}
                          aria-describedby={p.sensitive ? "sensitive-note" : undefined}
                          onChange={(e) =>
                            onChange({
                              ...value,
                              [key]: e.target.checked ? [...value[key], p.id] : value[key].filter((id) => id !== p.id),
                            })
                          }
                        />
                        <span>
                          {p.label} <code className="muted">{p.id}</code>
                        </span>
                        {p.sensitive ? <Badge tone="warn">sensitive</Badge> : null}
                      </label>
                    );
                  })}
              </div>
            ))}
          </fieldset>
        );
      })}
      <p id="sensitive-note" className="hint">
        Sensitive permissions give power over access itself (tokens, roles, members) or destroy data.
      </p>
    </div>
  );
}

export function RoleEditorPage({ entity, roleId }: { entity: Entity; roleId?: string | undefined }) {
  const catalogue = useLoad(() => client.permissions(), []);
  const existing = useLoad(() => (roleId ? client.roles(entity).get(roleId) : Promise.resolve(null)), [entity.type, entity.id, roleId]);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [permissions, setPermissions] = useState<PermissionSet>(EMPTY);
  const [projectRestrictions, setProjectRestrictions] = useState<ProjectRestrictions>({
    enabled: false,
    projects: [],
    restrictionMode: "in",
  });
  const [orgRestrictions, setOrgRestrictions] = useState<OrgRestrictions>({ enabled: false, teams: [] });
  const [saved, setSaved] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const action = useAction();
  const access = useAccess(entity);
  const managePermission = `${entity.type}.roles.manage`;
  const manage = access.may(managePermission);

  useEffect(() => {
    const role = existing.data;
    if (!role) return;
    setName(role.name);
    setDescription(role.description);
    setPermissions(role.permissions);
    if ("teams" in role.restrictions) setOrgRestrictions(role.restrictions);
    else setProjectRestrictions(role.restrictions);
  }, [existing.data]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    const restrictions = entity.type === "team" ? projectRestrictions : orgRestrictions;
    const body = { name, description, permissions, restrictions };
    const role = await action.run<Role>(() => (roleId ? client.roles(entity).update(roleId, body) : client.roles(entity).create(body)));
    if (!role) return;
    if (roleId) setSaved(true);
    else navigate(settingsPath(entity, `/roles/${encodeURIComponent(role.id)}`), { replace: true });
  };

  if (catalogue.error !== undefined || existing.error !== undefined) {
    return (
      <div className="page">
        <ErrorBox error={catalogue.error ?? existing.error} onRetry={catalogue.error ? catalogue.reload : existing.reload} />
      </div>
    );
  }
  if (!catalogue.data || existing.data === undefined) return <Loading />;
  const role = existing.data;
  return (
    <div className="page">
      <p className="crumbs">
        <Link to={settingsPath(entity, "/roles")}>Roles</Link> / {role ? role.name : "New role"}
      </p>
      <PageHead title={role ? `Role: ${role.name}` : "New role"} description={role ? <code>{role.id}</code> : undefined}>
        {manage && role && role.id !== "owner" ? (
          <button type="button" className="button danger" onClick={() => setDeleting(true)}>
            Delete role
          </button>
        ) : null}
      </PageHead>
      {access.loaded && !manage ? <NotAllowed what="Changing roles" permission={managePermission} /> : null}
      <form className="card" onSubmit={(e) => void submit(e)}>
        {/* Read-only for someone who may not change roles: nothing to fill in that the server would refuse. */}
        <fieldset className="plain" disabled={!manage}>
          <div className="grid two">
            <Field label="Role name">
              {(id) => <input id={id} required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />}
            </Field>
            <Field label="Description">
              {(id) => <input id={id} maxLength={1000} value={description} onChange={(e) => setDescription(e.target.value)} />}
            </Field>
          </div>
          <h2>Permissions</h2>
          <p className="hint">You can grant only what you hold yourself.</p>
          <PermissionPicker catalogue={catalogue.data} entity={entity} value={permissions} onChange={setPermissions} />
          <ApiScopePicker entity={entity} value={permissions} onChange={setPermissions} />
          {entity.type === "team" ? (
            <ProjectRestrictionEditor
              teamId={entity.id}
              legend="Restrictions"
              value={projectRestrictions}
              onChange={setProjectRestrictions}
            />
          ) : (
            <OrgRestrictionEditor orgId={entity.id} value={orgRestrictions} onChange={setOrgRestrictions} />
          )}
        </fieldset>
        <ErrorBox error={action.error} />
        <div className="form-actions">
          {manage ? (
            <button type="submit" className="button primary" disabled={action.busy}>
              {role ? "Save role" : "Create role"}
            </button>
          ) : null}
          <span role="status" aria-live="polite" className="saved">
            {saved ? "Saved. Every member and token of this role has the new permissions now." : ""}
          </span>
        </div>
      </form>
      {role ? <RoleMembers entity={entity} roleId={role.id} /> : null}
      {deleting && role ? <DeleteRoleDialog entity={entity} role={role} onClose={() => setDeleting(false)} /> : null}
    </div>
  );
}
