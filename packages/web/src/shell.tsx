import type { Entity } from "@latchkey/sdk";
import { useEffect, useRef, type ReactNode } from "react";
import { PasswordButton } from "./pages/password-dialog";
import { usePlaces } from "./places";
import { Link, navigate, useLocation } from "./router";
import { settingsPath, useSession } from "./session";
import { Logo, PageHead } from "./ui";

/** The team or organisation being managed; lists every place the person reaches, kept fresh by `usePlaces`. */
function Switcher({ entity }: { entity: Entity | null }) {
  const [teams, orgs] = usePlaces().data ?? [[], []];
  const value = entity ? `${entity.type}:${entity.id}` : "";
  const current = entity?.type === "org" ? orgs.find((o) => o.id === entity.id) : teams.find((t) => t.id === entity?.id);
  return (
    <label className="switcher">
      <span className="sr-only">Team or organisation</span>
      <select
        aria-label="Team or organisation"
        // A long name is cut with an ellipsis in the closed select: the whole name shows on hover and in the list.
        title={current?.name}
        value={value}
        onChange={(event) => {
          const [type, id] = event.target.value.split(":");
          if (!type || !id) return navigate("/");
          const target = { type: type as Entity["type"], id };
          navigate(settingsPath(target, type === "team" ? "/api/tokens" : "/teams"));
        }}
      >
        <option value="">Choose a team or organisation…</option>
        {teams.length > 0 ? (
          <optgroup label="Teams">
            {teams.map((t) => (
              <option key={t.id} value={`team:${t.id}`}>
                {t.name}
                {t.orgId ? ` (${t.orgId})` : ""}
              </option>
            ))}
          </optgroup>
        ) : null}
        {orgs.length > 0 ? (
          <optgroup label="Organisations">
            {orgs.map((o) => (
              <option key={o.id} value={`org:${o.id}`}>
                {o.name}
              </option>
            ))}
          </optgroup>
        ) : null}
      </select>
    </label>
  );
}

const TEAM_NAV: [string, string][] = [
  ["/api/tokens", "API tokens"],
  ["/apis", "APIs"],
  ["/api/trust-policies", "Trust policies"],
  ["/roles", "Roles"],
  ["/members", "Members"],
  ["/projects", "Projects"],
  ["/webhooks", "Webhooks"],
  ["/audit", "Audit log"],
  ["/general", "General"],
];
const ORG_NAV: [string, string][] = [
  ["/teams", "Teams"],
  ["/roles", "Organisation roles"],
  ["/members", "Members"],
  ["/api/tokens", "API tokens"],
  ["/apis", "APIs"],
  ["/api/trust-policies", "Trust policies"],
  ["/webhooks", "Webhooks"],
  ["/audit", "Audit log"],
  ["/general", "General"],
];

function Nav({ entity }: { entity: Entity }) {
  const { path } = useLocation();
  const [teams, orgs] = usePlaces().data ?? [[], []];
  const name = (entity.type === "team" ? teams : orgs).find((p) => p.id === entity.id)?.name;
  const title = entity.type === "team" ? "Team settings" : "Organisation settings";
  return (
    <nav className="side" aria-label={title}>
      <p className="side-title">{title}</p>
      <p className="side-entity" title={entity.id}>
        {name ?? entity.id}
      </p>
      <ul>
        {(entity.type === "team" ? TEAM_NAV : ORG_NAV).map(([rest, label]) => {
          const to = settingsPath(entity, rest);
          const current = path === to || path.startsWith(to + "/");
          return (
            <li key={rest}>
              {rest === "/api/tokens" && entity.type === "team" ? <span className="side-group">API</span> : null}
              <Link to={to} aria-current={current ? "page" : undefined}>
                {label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}

/** The console's own answer to a path it has no page for. */
export function NotFound({ path }: { path: string }) {
  return (
    <div className="page">
      <PageHead title="Page not found" />
      <div className="empty" data-testid="not-found">
        <p>
          There is no page at <code className="path">{path}</code>.
        </p>
        <p>
          <Link to="/">Go to the start</Link>
        </p>
      </div>
    </div>
  );
}

/** The signed-in frame: header with the switcher, the settings navigation of `entity`, and the page. */
export function Shell({ entity, children }: { entity: Entity | null; children: ReactNode }) {
  const { user, signOut } = useSession();
  const { path } = useLocation();
  const first = useRef(true);
  useEffect(() => {
    // After a move to another page, keyboard and screen-reader users start at its content, not at the link they left.
    if (first.current) first.current = false;
    else document.getElementById("main")?.focus({ preventScroll: true });
  }, [path]);
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link to="/" className="brand">
          <Logo />
          Latchkey
        </Link>
        <Switcher entity={entity} />
        <div className="top-right">
          <span className="muted user-email" title={user?.email}>
            {user?.email}
          </span>
          <PasswordButton />
          <button type="button" className="button subtle" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <div className={entity ? "body with-nav" : "body"}>
        {entity ? <Nav entity={entity} /> : null}
        <main id="main" tabIndex={-1}>
          {children}
        </main>
      </div>
    </div>
  );
}
