import type { Api, Entity, PermissionSet } from "@latchkey/sdk";
import { client } from "../api";
import { Badge, ErrorBox, Loading, useLoad } from "../ui";

interface Source {
  label: string;
  apis: Api[];
}

/**
 * The APIs a role of `entity` may grant: a team's own and its organisation's (when the person may read those); an
 * organisation's own. A list that cannot be read is left out rather than failing the role editor.
 */
async function sourcesOf(entity: Entity): Promise<Source[]> {
  const own: Source = { label: entity.type === "team" ? "This team" : "This organisation", apis: await client.apis(entity).all() };
  if (entity.type === "org") return [own];
  const orgId = (await client.teams.get(entity.id)).orgId;
  if (!orgId) return [own];
  const org = await client
    .apis({ type: "org", id: orgId })
    .all()
    .catch(() => null);
  return org ? [own, { label: `Organisation ${orgId}`, apis: org }] : [own];
}

/** Permissions of APIs of your own, grouped by API next to the built-in scopes; `apiScope` of the role. */
export function ApiScopePicker({
  entity,
  value,
  onChange,
}: {
  entity: Entity;
  value: PermissionSet;
  onChange: (value: PermissionSet) => void;
}) {
  const sources = useLoad(() => sourcesOf(entity), [entity.type, entity.id]);
  const scope = value.apiScope ?? [];
  const toggle = (name: string, on: boolean) => onChange({ ...value, apiScope: on ? [...scope, name] : scope.filter((n) => n !== name) });
  if (sources.error !== undefined) return <ErrorBox error={sources.error} onRetry={sources.reload} />;
  if (!sources.data) return <Loading label="Loading APIs…" />;
  const known = new Set(sources.data.flatMap((s) => s.apis.flatMap((a) => a.permissions.map((p) => `${a.id}:${p.id}`))));
  // Granted names this person cannot see the API of stay as they are (and are saved unchanged).
  const other = scope.filter((n) => !known.has(n));
  const apis = sources.data.flatMap((s) => s.apis.map((a) => ({ api: a, source: s.label })));
  return (
    <fieldset className="scope">
      <legend>
        APIs scope <code className="muted">apiScope</code>
      </legend>
      {apis.length === 0 ? <p className="hint">No APIs yet: register one under APIs to grant its permissions here.</p> : null}
      {apis.map(({ api, source }) => (
        <div key={`${source}/${api.id}`} className="perm-group" role="group" aria-label={`API: ${api.name}`}>
          <h4>
            {api.name} <code className="muted">{api.id}</code> <span className="muted">({source})</span>
          </h4>
          {api.permissions.length === 0 ? <p className="hint">No permissions declared.</p> : null}
          {api.permissions.map((p) => {
            const name = `${api.id}:${p.id}`;
            return (
              <label key={name} className={p.sensitive ? "perm sensitive" : "perm"}>
                <input
                  type="checkbox"
                  checked={scope.includes(name)}
                  aria-label={p.sensitive ? `${name} (sensitive)` : name}
                  onChange={(e) => toggle(name, e.target.checked)}
                />
                <span>
                  {p.description || p.id} <code className="muted">{name}</code>
                </span>
                {p.sensitive ? <Badge tone="warn">sensitive</Badge> : null}
              </label>
            );
          })}
        </div>
      ))}
      {other.length > 0 ? (
        <p className="hint">
          Also granted (APIs you cannot list): <code>{other.join(", ")}</code>
        </p>
      ) : null}
    </fieldset>
  );
}
