import type { Entity, Org, Team, User } from "@latchkey/sdk";
import { useEffect, useRef, useState, type ReactNode } from "react";
import { client } from "./api";
import { ApiEditorPage } from "./pages/api-editor";
import { ApisPage } from "./pages/apis";
import { AuditPage } from "./pages/audit";
import { CliLoginPage } from "./pages/cli-login";
import { DevicePage } from "./pages/device";
import { TrustPoliciesPage } from "./pages/trust-policies";
import { HomePage } from "./pages/home";
import { MembersPage } from "./pages/members";
import { OrgTeamsPage } from "./pages/org-teams";
import { ProjectsPage } from "./pages/projects";
import { PasswordButton } from "./pages/password-dialog";
import { RoleEditorPage } from "./pages/role-editor";
import { RolesPage } from "./pages/roles";
import { InvitePage } from "./pages/invite";
import { SetupPage, SignInPage } from "./pages/sign-in";
import { TokensPage } from "./pages/tokens";
import { WebhooksPage } from "./pages/webhooks";
import { Link, match, navigate, useLocation } from "./router";
import { safeNext, SessionContext, settingsPath, useSession, type Session } from "./session";
import { Loading, Logo, useLoad } from "./ui";

const PUBLIC = ["/sign-in", "/setup", "/invite"];

export function App() {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const { path, query } = useLocation();

  useEffect(() => {
    // The reply carries the session's CSRF token too; the client keeps it for the requests that change things.
    client.session.get().then(
      ({ user }) => setUser(user),
      () => setUser(null),
    );
  }, []);

  const session: Session = {
    user: user ?? null,
    signedIn: (u, csrf) => {
      client.csrfToken = csrf;
      setUser(u);
    },
    signOut: async () => {
      await client.session.signOut().catch(() => undefined);
      client.csrfToken = undefined;
      setUser(null);
      navigate("/sign-in");
    },
  };

  if (user === undefined) return <Loading label="Opening Latchkey…" />;
  let page: ReactNode;
  if (path === "/sign-in" && user) page = <Forward to={safeNext(query.get("next"))} />;
  else if (PUBLIC.includes(path)) page = <PublicPage path={path} />;
  else if (!user) page = <RedirectToSignIn to={path + (query.size > 0 ? `?${query.toString()}` : "")} />;
  else page = <SignedIn path={path} />;
  return <SessionContext.Provider value={session}>{page}</SessionContext.Provider>;
}

function PublicPage({ path }: { path: string }) {
  const content = path === "/setup" ? <SetupPage /> : path === "/invite" ? <InvitePage /> : <SignInPage />;
  return (
    <main className="public" id="main">
      <div className="brand-large" aria-hidden="true">
        <Logo size={36} /> Latchkey
      </div>
      {content}
    </main>
  );
}

/** Sends someone who is not signed in to sign in, and then back to the page they asked for. */
function RedirectToSignIn({ to }: { to: string }) {
  useEffect(() => {
    navigate(to === "/" ? "/sign-in" : `/sign-in?next=${encodeURIComponent(to)}`, { replace: true });
  }, [to]);
  return <Loading />;
}

/** A signed-in person who opens the sign-in page goes on to where they were heading. */
function Forward({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return <Loading />;
}

/** Pages under /teams/:teamId/settings and /orgs/:orgId/settings. */
function settingsPage(path: string): { entity: Entity; page: ReactNode } | null {
  for (const type of ["team", "org"] as const) {
    const prefix = type === "team" ? "/teams/:id/settings" : "/orgs/:id/settings";
    type Render = (p: Record<string, string>, entity: Entity) => ReactNode;
    const routes: [string, Render][] = [
      ["/api/tokens", (_p, e) => <TokensPage entity={e} />],
      ["/api/tokens/:tokenId/audit", (p, e) => <AuditPage entity={e} tokenId={p["tokenId"]} />],
      ["/api/trust-policies", (_p, e) => <TrustPoliciesPage entity={e} />],
      ["/roles", (_p, e) => <RolesPage entity={e} />],
      ["/roles/new", (_p, e) => <RoleEditorPage entity={e} />],
      ["/roles/:roleId", (p, e) => <RoleEditorPage entity={e} roleId={p["roleId"]} />],
      ["/members", (_p, e) => <MembersPage entity={e} />],
      ["/apis", (_p, e) => <ApisPage entity={e} />],
      ["/apis/new", (_p, e) => <ApiEditorPage entity={e} />],
      ["/apis/:apiId", (p, e) => <ApiEditorPage entity={e} apiId={p["apiId"]} />],
      ["/audit", (_p, e) => <AuditPage entity={e} />],
      ["/webhooks", (_p, e) => <WebhooksPage entity={e} />],
      ...(type === "org" ? [["/teams", (_p, e) => <OrgTeamsPage org={e} />] as [string, Render]] : []),
      ...(type === "team" ? [["/projects", (_p, e) => <ProjectsPage team={e} />] as [string, Render]] : []),
    ];
    for (const [pattern, render] of routes) {
      const params = match(prefix + pattern, path);
      if (params) {
        const entity = { type, id: params["id"] ?? "" };
        return { entity, page: render(params, entity) };
      }
    }
  }
  return null;
}

function SignedIn({ path }: { path: string }) {
  const settings = settingsPage(path);
  // The switcher's list is read again when the place changes: a team made a moment ago is in it.
  const where = settings ? `${settings.entity.type}:${settings.entity.id}` : path;
  const places = useLoad(() => Promise.all([client.teams.all(), client.orgs.all()]), [where]);
  if (path === "/cli-login" || path === "/device") {
    return (
      <Shell entity={null} places={places.data}>
        {path === "/device" ? <DevicePage /> : <CliLoginPage />}
      </Shell>
    );
  }
  if (settings) {
    return (
      <Shell entity={settings.entity} places={places.data}>
        {settings.page}
      </Shell>
    );
  }
  return (
    <Shell entity={null} places={places.data}>
      {path === "/" ? (
        <HomePage places={places} />
      ) : (
        <div className="empty">
          <h1>Nothing here</h1>
          <p>
            There is no page at <code>{path}</code>. <Link to="/">Go to the start</Link>.
          </p>
        </div>
      )}
    </Shell>
  );
}

function Switcher({ entity, places }: { entity: Entity | null; places: [Team[], Org[]] | undefined }) {
  const [teams, orgs] = places ?? [[], []];
  const value = entity ? `${entity.type}:${entity.id}` : "";
  return (
    <label className="switcher">
      <span className="sr-only">Team or organisation</span>
      <select
        aria-label="Team or organisation"
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

function Nav({ entity }: { entity: Entity }) {
  const { path } = useLocation();
  const items: [string, string][] =
    entity.type === "team"
      ? [
          ["/api/tokens", "API tokens"],
          ["/apis", "APIs"],
          ["/api/trust-policies", "Trust policies"],
          ["/roles", "Roles"],
          ["/members", "Members"],
          ["/projects", "Projects"],
          ["/webhooks", "Webhooks"],
          ["/audit", "Audit log"],
        ]
      : [
          ["/teams", "Teams"],
          ["/roles", "Organisation roles"],
          ["/members", "Members"],
          ["/api/tokens", "API tokens"],
          ["/apis", "APIs"],
          ["/api/trust-policies", "Trust policies"],
          ["/webhooks", "Webhooks"],
          ["/audit", "Audit log"],
        ];
  return (
    <nav className="side" aria-label={entity.type === "team" ? "Team settings" : "Organisation settings"}>
      <p className="side-title">{entity.type === "team" ? "Team settings" : "Organisation settings"}</p>
      <p className="side-entity">{entity.id}</p>
      <ul>
        {items.map(([rest, label]) => {
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

function Shell({ entity, places, children }: { entity: Entity | null; places: [Team[], Org[]] | undefined; children: ReactNode }) {
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
        <Switcher entity={entity} places={places} />
        <div className="top-right">
          <span className="muted">{user?.email}</span>
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
