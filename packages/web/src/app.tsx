import type { Entity, User } from "@latchkey/sdk";
import { useEffect, useState, type ReactNode } from "react";
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
import { RoleEditorPage } from "./pages/role-editor";
import { RolesPage } from "./pages/roles";
import { InvitePage } from "./pages/invite";
import { SetupPage, SignInPage } from "./pages/sign-in";
import { TokensPage } from "./pages/tokens";
import { WebhooksPage } from "./pages/webhooks";
import { EntitySettingsPage } from "./pages/entity-settings";
import { PlacesContext } from "./places";
import { match, navigate, useLocation } from "./router";
import { safeNext, SessionContext, type Session } from "./session";
import { NotFound, Shell } from "./shell";
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
      ["/general", (_p, e) => <EntitySettingsPage entity={e} />],
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

/** A path under a team's or organisation's settings that has no page: not found, inside that place's frame. */
function settingsEntity(path: string): Entity | null {
  const found = /^\/(teams|orgs)\/([^/]+)\/settings(\/|$)/.exec(path);
  if (!found?.[2]) return null;
  return { type: found[1] === "teams" ? "team" : "org", id: decodeURIComponent(found[2]) };
}

function SignedIn({ path }: { path: string }) {
  const settings = settingsPage(path);
  // The switcher's list is read again when the place changes, and when a page made, renamed or deleted one.
  const where = settings ? `${settings.entity.type}:${settings.entity.id}` : path;
  const places = useLoad(() => Promise.all([client.teams.all(), client.orgs.all()]), [where]);
  let entity: Entity | null = null;
  let page: ReactNode;
  if (path === "/cli-login") page = <CliLoginPage />;
  else if (path === "/device") page = <DevicePage />;
  else if (settings) ({ entity, page } = settings);
  else if (path === "/") page = <HomePage places={places} />;
  else {
    entity = settingsEntity(path);
    page = <NotFound path={path} />;
  }
  return (
    <PlacesContext.Provider value={places}>
      <Shell entity={entity}>{page}</Shell>
    </PlacesContext.Provider>
  );
}
