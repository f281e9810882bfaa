import type { AuditEvent, AuditFilters, Entity } from "@latchkey/sdk";
import { useEffect, useState, type FormEvent } from "react";
import { client } from "../api";
import { Link } from "../router";
import { settingsPath } from "../session";
import { Badge, ErrorBox, Field, Loading, PageHead, Time, useAction } from "../ui";
import { Table } from "../table";

const EMPTY = { eventType: "", actor: "", outcome: "", origin: "", tokenId: "", after: "", before: "" };
type Form = typeof EMPTY;

const toIso = (local: string) => (local ? new Date(local).toISOString() : undefined);

function filtersOf(form: Form): AuditFilters {
  return {
    ...(form.eventType ? { eventType: form.eventType } : {}),
    ...(form.actor ? { actor: form.actor } : {}),
    ...(form.outcome ? { outcome: form.outcome as AuditFilters["outcome"] } : {}),
    ...(form.origin ? { origin: form.origin as AuditFilters["origin"] } : {}),
    ...(form.tokenId ? { tokenId: form.tokenId } : {}),
    ...(form.after ? { after: toIso(form.after) } : {}),
    ...(form.before ? { before: toIso(form.before) } : {}),
  };
}

/** The token an event concerns: the one that made the request, or the one a change was made to. */
const tokenOf = (e: AuditEvent): string | undefined =>
  e.tokenId ?? (e.resource.type === "apiTokens" ? (e.resource.id ?? undefined) : undefined);

/** The audit feed of a team or organisation, or of one token (`tokenId`): filterable, newest first, page by page. */
export function AuditPage({ entity, tokenId }: { entity: Entity; tokenId?: string | undefined }) {
  const [form, setForm] = useState<Form>(EMPTY);
  const [applied, setApplied] = useState<AuditFilters>({});
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const action = useAction();

  const load = async (filters: AuditFilters, after?: string) => {
    const page = await action.run(() =>
      client.audit(entity).list({ ...filters, per_page: 50, ...(after ? { cursor: after } : {}) }, tokenId),
    );
    if (!page) return;
    setEvents((old) => (after && old ? [...old, ...page.items] : page.items));
    setCursor(page.pagination.hasNextPage ? page.pagination.cursor : undefined);
  };

  useEffect(() => {
    setEvents(null);
    setApplied({});
    setForm(EMPTY);
    void load({});
    // A new feed (entity or token) starts over; `load` itself changes every render.
  }, [entity.type, entity.id, tokenId]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const filters = filtersOf(form);
    setApplied(filters);
    setEvents(null);
    void load(filters);
  };
  const set = (key: keyof Form) => (e: { target: { value: string } }) => setForm({ ...form, [key]: e.target.value });

  return (
    <div className="page">
      {tokenId ? (
        <p className="crumbs">
          <Link to={settingsPath(entity, "/api/tokens")}>API tokens</Link> / audit log of token <code>{tokenId}</code>
        </p>
      ) : null}
      <PageHead
        title={tokenId ? "Token audit log" : "Audit log"}
        description={
          tokenId
            ? "Every request made with this token, and every change made to it."
            : `Changes to roles, members and tokens, and every request made with this ${entity.type === "team" ? "team" : "organisation"}'s tokens.`
        }
      />
      <form className="filters card" onSubmit={submit} aria-label="Filter the audit log">
        <Field label="Event type">
          {(id) => <input id={id} placeholder="apiTokens.revoke" value={form.eventType} onChange={set("eventType")} />}
        </Field>
        <Field label="Actor">{(id) => <input id={id} placeholder="e-mail or token id" value={form.actor} onChange={set("actor")} />}</Field>
        {!tokenId ? <Field label="Token id">{(id) => <input id={id} value={form.tokenId} onChange={set("tokenId")} />}</Field> : null}
        <Field label="Outcome">
          {(id) => (
            <select id={id} value={form.outcome} onChange={set("outcome")}>
              <option value="">Any</option>
              <option value="allowed">Allowed</option>
              <option value="denied">Denied</option>
              <option value="failed">Failed</option>
            </select>
          )}
        </Field>
        <Field label="Origin">
          {(id) => (
            <select id={id} value={form.origin} onChange={set("origin")}>
              <option value="">Any</option>
              <option value="api">API</option>
              <option value="ui">Console</option>
              <option value="cli">CLI</option>
            </select>
          )}
        </Field>
        <Field label="After">{(id) => <input id={id} type="datetime-local" value={form.after} onChange={set("after")} />}</Field>
        <Field label="Before">{(id) => <input id={id} type="datetime-local" value={form.before} onChange={set("before")} />}</Field>
        <div className="filter-actions">
          <button type="submit" className="button">
            Apply filters
          </button>
          <button
            type="button"
            className="button subtle"
            onClick={() => {
              setForm(EMPTY);
              setApplied({});
              setEvents(null);
              void load({});
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <ErrorBox error={action.error} />
      {events === null ? (
        action.error === undefined ? (
          <Loading />
        ) : null
      ) : events.length === 0 ? (
        <div className="empty">No events match.</div>
      ) : (
        <Table
          caption="Audit events, newest first"
          columns={["When", "Event", "Actor", "Resource", "Outcome", "Request", "Origin"]}
          className="audit"
        >
          {events.map((e) => (
            <tr key={e.id} data-event-type={e.eventType}>
              <td>
                <Time at={e.at} />
              </td>
              <th scope="row">
                <code>{e.eventType}</code>
              </th>
              <td>
                {e.actor.email ?? e.actor.id}
                {e.actor.type === "apiToken" ? <span className="muted small"> (token)</span> : null}
              </td>
              <td>
                {e.resource.type ? <span className="muted">{e.resource.type} </span> : null}
                {e.resource.id ?? ""}
                {tokenOf(e) && !tokenId ? (
                  <>
                    {" "}
                    <Link
                      to={settingsPath(entity, `/api/tokens/${encodeURIComponent(tokenOf(e) ?? "")}/audit`)}
                      aria-label={`Audit log of token ${tokenOf(e) ?? ""}`}
                    >
                      token feed
                    </Link>
                  </>
                ) : null}
              </td>
              <td>
                <Badge tone={e.outcome === "allowed" ? "ok" : e.outcome === "denied" ? "bad" : "warn"}>{e.outcome}</Badge>{" "}
                <span className="muted small">{e.status}</span>
              </td>
              <td className="small">
                <code>
                  {e.method} {e.path}
                </code>
                <div className="muted">{e.ip}</div>
                {typeof e.details["keyId"] === "string" ? (
                  <div className="muted" data-testid="event-key">
                    key <code>{e.details["keyId"]}</code>
                  </div>
                ) : null}
              </td>
              <td>{e.origin}</td>
            </tr>
          ))}
        </Table>
      )}
      {cursor ? (
        <button type="button" className="button" disabled={action.busy} onClick={() => void load(applied, cursor)}>
          Load older events
        </button>
      ) : null}
    </div>
  );
}
