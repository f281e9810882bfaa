import type { AuditEvent, Entity } from "@latchkey/sdk";
import { useId, useState, type ReactNode } from "react";
import { Link } from "../router";
import { settingsPath } from "../session";
import { ago, Badge } from "../ui";
import { absoluteTime, changeOf, diffOf } from "./audit-logic";

const ORIGIN_LABEL: Record<AuditEvent["origin"], string> = { ui: "Console", cli: "CLI", api: "API" };
const COLUMNS = 8;

/** The token an event concerns: the one that made the request, or the one a change was made to. */
const tokenOf = (e: AuditEvent): string | undefined =>
  e.tokenId ?? (e.resource.type === "apiTokens" ? (e.resource.id ?? undefined) : undefined);

/** The exact time in the viewer's zone, and how long ago. */
function When({ at }: { at: string }) {
  const exact = absoluteTime(at);
  const cut = exact.indexOf(" ");
  const [day, clock] = [exact.slice(0, cut), exact.slice(cut + 1)];
  return (
    <>
      <time dateTime={at} title={at}>
        {/* The date over the time: a narrow column leaves the table's room to names and paths. */}
        <span className="nowrap">{day}</span> <span className="nowrap">{clock}</span>
      </time>
      <div className="muted small">{ago(at)}</div>
    </>
  );
}

/** Who acted: a person by name and address, a token by its name, its id, its creator, and its organisation if not here. */
function Actor({ e, entity }: { e: AuditEvent; entity: Entity }) {
  if (e.actor.type === "anonymous") return <span className="muted">Anonymous</span>;
  if (e.actor.type === "apiToken") {
    return (
      <>
        <span className="audit-name">{e.actor.name ?? e.actor.id}</span> <span className="muted small">(token)</span>
        <div className="muted small">
          <code>{e.actor.id}</code>
          {e.actor.email ? <> · created by {e.actor.email}</> : null}
        </div>
        {e.entity.type === "org" && entity.type === "team" ? <div className="muted small">organisation token of {e.entity.id}</div> : null}
      </>
    );
  }
  return (
    <>
      <span className="audit-name">{e.actor.name ?? e.actor.email ?? e.actor.id}</span>
      {e.actor.name && e.actor.email ? <div className="muted small">{e.actor.email}</div> : null}
    </>
  );
}

/** What was acted on: its type, its name, and its id when the name is not the id. */
function Resource({ e, entity, tokenFeed }: { e: AuditEvent; entity: Entity; tokenFeed: boolean }) {
  const token = tokenOf(e);
  // Only a token of this team or organisation has a feed here (an organisation token's request in a team's feed has not).
  const linked = token && !tokenFeed && e.entity.type === entity.type && e.entity.id === entity.id;
  return (
    <>
      {e.resource.type ? <span className="muted">{e.resource.type} </span> : null}
      {e.resource.name ? <span className="audit-name">{e.resource.name}</span> : null}
      {e.resource.id && e.resource.id !== e.resource.name ? (
        <>
          {" "}
          <code className="small">{e.resource.id}</code>
        </>
      ) : null}
      {linked ? (
        <>
          {" "}
          <Link to={settingsPath(entity, `/api/tokens/${encodeURIComponent(token)}/audit`)} aria-label={`Audit log of token ${token}`}>
            token feed
          </Link>
        </>
      ) : null}
    </>
  );
}

/** A change as a table of the fields it changed, before and after. */
function Diff({ before, after }: { before: unknown; after: unknown }) {
  const lines = diffOf(before, after);
  if (lines.length === 0) return <p className="muted">No field changed.</p>;
  return (
    <table className="audit-diff">
      <caption className="sr-only">Fields changed</caption>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Before</th>
          <th scope="col">After</th>
        </tr>
      </thead>
      <tbody>
        {lines.map((l) => (
          <tr key={l.field} data-field={l.field}>
            <th scope="row">
              <code>{l.field}</code>
            </th>
            <td className="before">{l.before === undefined ? <span className="muted">—</span> : <del>{l.before}</del>}</td>
            <td className="after">{l.after === undefined ? <span className="muted">—</span> : <ins>{l.after}</ins>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Everything an event holds beyond its row: the change as a diff (or the event's details), and where it came from. */
function Details({ e }: { e: AuditEvent }) {
  const change = changeOf(e.details);
  const dash = <span className="muted">—</span>;
  const facts: [string, ReactNode][] = [
    ["Event", <code>{e.id}</code>],
    ["Time (UTC)", <code>{e.at}</code>],
    ["Address", e.ip || dash],
    ["User agent", e.userAgent || dash],
    ...(e.durationMs !== null ? [["Duration", `${e.durationMs} ms`] as [string, ReactNode]] : []),
    ...(e.actor.type === "apiToken" && e.actor.email ? [["Token created by", e.actor.email] as [string, ReactNode]] : []),
    ...Object.entries(e.details)
      .filter(([k]) => !change || (k !== "before" && k !== "after"))
      .map(([k, v]): [string, ReactNode] => [k, <code>{typeof v === "string" ? v : JSON.stringify(v)}</code>]),
  ];
  return (
    <div className="audit-details">
      {change ? <Diff before={change.before} after={change.after} /> : null}
      <dl className="audit-facts">
        {facts.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

/** One event: a row, and its details below it when opened. */
export function AuditRow({ e, entity, tokenFeed }: { e: AuditEvent; entity: Entity; tokenFeed: boolean }) {
  const [open, setOpen] = useState(false);
  const detailsId = useId();
  return (
    <>
      <tr data-event-type={e.eventType} data-event-id={e.id}>
        <td className="audit-when">
          <When at={e.at} />
        </td>
        <th scope="row">
          <code>{e.eventType}</code>
        </th>
        <td>
          <Actor e={e} entity={entity} />
        </td>
        <td>
          <Resource e={e} entity={entity} tokenFeed={tokenFeed} />
        </td>
        <td>
          <Badge tone={e.outcome === "allowed" ? "ok" : e.outcome === "denied" ? "bad" : "warn"}>{e.outcome}</Badge>{" "}
          <span className="muted small">{e.status}</span>
        </td>
        <td className="small audit-request">
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
        <td>{ORIGIN_LABEL[e.origin]}</td>
        <td className="audit-button">
          <button
            type="button"
            className="button small subtle"
            aria-expanded={open}
            aria-controls={detailsId}
            aria-label={`${open ? "Hide" : "Show"} details of ${e.eventType} ${e.id}`}
            onClick={() => setOpen(!open)}
          >
            {changeOf(e.details) ? "Changes" : "Details"}
          </button>
        </td>
      </tr>
      {open ? (
        <tr className="audit-details-row" id={detailsId}>
          <td colSpan={COLUMNS}>
            <Details e={e} />
          </td>
        </tr>
      ) : null}
    </>
  );
}

/** The table's columns, the last one the details button's. */
export const AUDIT_COLUMNS = ["When", "Event", "Actor", "Resource", "Outcome", "Request", "Origin", "Details"];
