import type { Api, Entity } from "@latchkey/sdk";
import { useEffect, useState, type FormEvent } from "react";
import { client } from "../api";
import { Link, navigate } from "../router";
import { settingsPath } from "../session";
import { ErrorBox, Field, Loading, PageHead, useAction, useLoad } from "../ui";
import { DeleteApiDialog } from "./apis";

type Permission = Api["permissions"][number];

/** The permission list of an API: one row each (id, description, sensitive), added and removed in place. */
function PermissionRows({ apiId, value, onChange }: { apiId: string; value: Permission[]; onChange: (value: Permission[]) => void }) {
  const set = (i: number, patch: Partial<Permission>) => onChange(value.map((p, j) => (j === i ? { ...p, ...patch } : p)));
  return (
    <fieldset className="scope">
      <legend>Permissions</legend>
      <p className="hint">
        Lower-case words joined by <code>.</code> <code>_</code> or <code>-</code>. Roles grant them by full name,{" "}
        <code>{apiId || "api"}:invoices.read</code>. A permission removed here is taken out of every role when you save.
      </p>
      {value.map((p, i) => (
        <div key={i} className="api-permission" role="group" aria-label={`Permission ${i + 1}`}>
          <Field label="Permission id">
            {(id) => (
              <input
                id={id}
                required
                maxLength={64}
                pattern="[a-z0-9]+([._\-][a-z0-9]+)*"
                value={p.id}
                onChange={(e) => set(i, { id: e.target.value })}
              />
            )}
          </Field>
          <Field label="Description">
            {(id) => <input id={id} maxLength={1000} value={p.description} onChange={(e) => set(i, { description: e.target.value })} />}
          </Field>
          <label className="perm">
            <input type="checkbox" checked={p.sensitive} onChange={(e) => set(i, { sensitive: e.target.checked })} /> Sensitive
          </label>
          <button
            type="button"
            className="button small subtle"
            aria-label={`Remove permission ${p.id || i + 1}`}
            onClick={() => onChange(value.filter((_, j) => j !== i))}
          >
            Remove
          </button>
        </div>
      ))}
      <button type="button" className="button small" onClick={() => onChange([...value, { id: "", description: "", sensitive: false }])}>
        Add permission
      </button>
    </fieldset>
  );
}

/** Creates an API, or edits one: name, description and its permissions. */
export function ApiEditorPage({ entity, apiId }: { entity: Entity; apiId?: string | undefined }) {
  const existing = useLoad(() => (apiId ? client.apis(entity).get(apiId) : Promise.resolve(null)), [entity.type, entity.id, apiId]);
  const [name, setName] = useState("");
  const [id, setId] = useState("");
  const [description, setDescription] = useState("");
  const [permissions, setPermissions] = useState<Permission[]>([]);
  const [saved, setSaved] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const action = useAction();

  useEffect(() => {
    const api = existing.data;
    if (!api) return;
    setName(api.name);
    setDescription(api.description);
    setPermissions(api.permissions);
  }, [existing.data]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    const body = { name, description, permissions };
    const api = await action.run<Api>(() =>
      apiId ? client.apis(entity).update(apiId, body) : client.apis(entity).create({ ...body, ...(id ? { id } : {}) }),
    );
    if (!api) return;
    if (apiId) {
      setSaved(true);
      existing.reload();
    } else navigate(settingsPath(entity, `/apis/${encodeURIComponent(api.id)}`), { replace: true });
  };

  if (existing.error !== undefined) {
    return (
      <div className="page">
        <ErrorBox error={existing.error} onRetry={existing.reload} />
      </div>
    );
  }
  if (existing.data === undefined) return <Loading />;
  const api = existing.data;
  return (
    <div className="page">
      <p className="crumbs">
        <Link to={settingsPath(entity, "/apis")}>APIs</Link> / {api ? api.name : "New API"}
      </p>
      <PageHead title={api ? `API: ${api.name}` : "New API"} description={api ? <code>{api.id}</code> : undefined}>
        {api ? (
          <button type="button" className="button danger" onClick={() => setDeleting(true)}>
            Delete API
          </button>
        ) : null}
      </PageHead>
      <form className="card" onSubmit={(e) => void submit(e)}>
        <div className="grid two">
          <Field label="API name">
            {(fid) => <input id={fid} required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          {api ? null : (
            <Field label="API id" hint="Optional: derived from the name. It cannot change later.">
              {(fid) => (
                <input id={fid} maxLength={64} pattern="[a-z0-9]+(-[a-z0-9]+)*" value={id} onChange={(e) => setId(e.target.value)} />
              )}
            </Field>
          )}
          <Field label="Description">
            {(fid) => <input id={fid} maxLength={1000} value={description} onChange={(e) => setDescription(e.target.value)} />}
          </Field>
        </div>
        <PermissionRows apiId={api?.id ?? id} value={permissions} onChange={setPermissions} />
        <ErrorBox error={action.error} />
        <div className="form-actions">
          <button type="submit" className="button primary" disabled={action.busy}>
            {api ? "Save API" : "Create API"}
          </button>
          <span role="status" aria-live="polite" className="saved">
            {saved ? "Saved. Roles that granted a removed permission no longer do." : ""}
          </span>
        </div>
      </form>
      {deleting && api ? <DeleteApiDialog entity={entity} api={api} onClose={() => setDeleting(false)} /> : null}
    </div>
  );
}
