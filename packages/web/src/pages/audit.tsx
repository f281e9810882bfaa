import type { AuditEvent, AuditFilters, Entity } from "@latchkey/sdk";
import { useEffect, useMemo, useState, type FormEvent } from "react";
import { client } from "../api";
import { Link, navigate, useLocation } from "../router";
import { settingsPath } from "../session";
import { ErrorBox, Field, Loading, PageHead, useAction } from "../ui";
import { Table } from "../table";
import { filtersFromQuery, filtersOfForm, formOf, queryOf, type AuditForm } from "./audit-logic";
import { AUDIT_COLUMNS, AuditRow } from "./audit-row";

/** Event types and their prefixes offered while typing; any other type or prefix may be typed too. */
const EVENT_TYPES = [
  "apiTokens",
  "apiTokens.create",
  "apiTokens.revoke",
  "apiTokens.rotate",
  "apis",
  "members",
  "projects",
  "roles",
  "teams",
  "orgs",
  "trustPolicies",
  "webhooks",
  "request",
  "auth",
];

/**
 * The audit feed of a team or organisation, or of one token (`tokenId`): filterable, newest first, page by page. The
 * filters live in the address (`?eventType=apiTokens`): a reload, Back, or a shared link shows the same events.
 */
export function AuditPage({ entity, tokenId }: { entity: Entity; tokenId?: string | undefined }) {
  const location = useLocation();
  const tokenFeed = tokenId !== undefined;
  const search = queryOf(filtersFromQuery(location.query, tokenFeed));
  const applied = useMemo<AuditFilters>(() => filtersFromQuery(new URLSearchParams(search), tokenFeed), [search, tokenFeed]);
  const [form, setForm] = useState<AuditForm>(() => formOf(applied));
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
    setForm(formOf(applied));
    void load(applied);
    // A new feed (entity or token) or new filters in the address start over; `load` itself changes every render.
  }, [entity.type, entity.id, tokenId, search]);

  /** Shows `filters`: a new address (Back returns to the previous filters), or the same events read again. */
  const show = (filters: AuditFilters) => {
    const next = queryOf(filters);
    if (next === search) {
      setForm(formOf(filters));
      setEvents(null);
      void load(filters);
    } else navigate(`${location.path}${next}`);
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    show(filtersOfForm(form, tokenFeed));
  };
  const set = (key: keyof AuditForm) => (e: { target: { value: string } }) => setForm({ ...form, [key]: e.target.value });

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
            : entity.type === "team"
              ? "Changes to roles, members and tokens, and every request made with this team's tokens or its organisation's tokens."
              : "Changes to roles, members and tokens, and every request made with this organisation's tokens."
        }
      />
      <form className="filters card" onSubmit={submit} aria-label="Filter the audit log">
        <Field label="Event type" hint="A type, or a prefix: apiTokens takes every apiTokens event.">
          {(id) => (
            <>
              <input id={id} list={`${id}-types`} placeholder="apiTokens" value={form.eventType} onChange={set("eventType")} />
              <datalist id={`${id}-types`}>
                {EVENT_TYPES.map((t) => (
                  <option key={t} value={t} />
                ))}
              </datalist>
            </>
          )}
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
          <button type="button" className="button subtle" onClick={() => show({})}>
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
        <div className="empty">{cursor ? "No events match on this page: load older events to look further back." : "No events match."}</div>
      ) : (
        <Table caption="Audit events, newest first" columns={AUDIT_COLUMNS} className="audit">
          {events.map((e) => (
            <AuditRow key={e.id} e={e} entity={entity} tokenFeed={tokenFeed} />
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
