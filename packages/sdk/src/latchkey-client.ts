import { HttpClient, type LatchkeyClientOptions } from "./http.js";
import type {
  AuthInfo,
  Entity,
  InvitationAccept,
  InvitationConfirm,
  InvitationPreview,
  MyAccess,
  OrgRole,
  OrgRoleCreate,
  OrgRoleUpdate,
  PermissionInfo,
  Role,
  SessionReply,
  TeamRole,
  TeamRoleCreate,
  TeamRoleUpdate,
} from "./types.js";
import { createCliLoginApi, createDeviceApi, type CliLoginApi, type DeviceApi } from "./client/approvals.js";
import { createApisApi, type ApisApi } from "./client/apis.js";
import { createAuditApi, type AuditApi } from "./client/audit.js";
import * as credential from "./client/credential.js";
import * as invitationLinks from "./client/invitation-links.js";
import { createMembersApi, type MembersApi } from "./client/members.js";
import { createOrgsApi, type OrgsApi } from "./client/orgs.js";
import { createProjectsApi, type ProjectsApi } from "./client/projects.js";
import { createRolesApi, type RolesApi } from "./client/roles.js";
import { createSessionApi, createSetupApi, type SessionApi, type SetupApi } from "./client/session.js";
import { createTeamsApi, type TeamsApi } from "./client/teams.js";
import { createTokensApi, type TokensApi } from "./client/tokens.js";
import type { Transport } from "./client/transport.js";
import { createTrustPoliciesApi, type TrustPoliciesApi } from "./client/trust-policies.js";
import { createWebhooksApi, type WebhooksApi } from "./client/webhooks.js";

export { entityPath } from "./client/entity-path.js";
export type { RolesApi } from "./client/roles.js";

/**
 * A typed client of Latchkey's public API, for the browser (the console's cookie session) and Node (an API token,
 * or a session it signs in itself). Every method returns the reply's `data` and throws ApiError (or TransportError) otherwise.
 */
export class LatchkeyClient extends HttpClient {
  constructor(options: LatchkeyClientOptions = {}) {
    super(options);
  }

  // The resources live in client/, one file each, and reach the protected transport only through this object. Their types
  // are named (`TokensApi`...) rather than inferred here: inferred from another file, they lose their TSDoc in the .d.ts.
  private readonly transport: Transport = {
    request: this.request.bind(this),
    page: this.page.bind(this),
    all: this.all.bind(this),
    keepCsrfToken: (token) => {
      this.csrfToken = token;
    },
  };

  /** Console sessions. Signing in, or reading the session, stores its CSRF token on this client. */
  readonly session: SessionApi = createSessionApi(this.transport);

  /** First-run setup through the one-time link the server printed. */
  readonly setup: SetupApi = createSetupApi(this.transport);

  /**
   * Accepts an invitation through the link given to the inviter (`?token=`): only an account the address already has,
   * with its password, joins and signs in. Anything else throws ApiError 403 CONFIRMATION_REQUIRED, and the server sends
   * the address its own link again.
   */
  acceptInvitation(body: InvitationAccept): Promise<SessionReply> {
    return invitationLinks.acceptInvitation(this.transport, body);
  }

  /**
   * Accepts an invitation through the link sent to the address (`?confirm=`), which proves it: creates the account
   * (`name` required then) or, when the address has one, takes its password; joins and signs in.
   */
  confirmInvitation(body: InvitationConfirm): Promise<SessionReply> {
    return invitationLinks.confirmInvitation(this.transport, body);
  }

  /**
   * What an invitation link leads to, for its landing page: `{token}` from the inviter's link (`?token=`) or `{confirm}`
   * from the one sent to the address (`?confirm=`). ApiError 404 when the link is unknown, used, revoked or expired.
   */
  lookupInvitation(body: { token: string } | { confirm: string }): Promise<InvitationPreview> {
    return invitationLinks.lookupInvitation(this.transport, body);
  }

  /** What the credential may do right now (`GET /v1/auth`). */
  auth(): Promise<AuthInfo> {
    return credential.auth(this.transport);
  }

  /** Checks the credential (`GET /v1/login`): its kind, or ApiError 401 saying why it is refused. */
  login(): Promise<{ valid: true; tokenKind: "api" | "session" }> {
    return credential.login(this.transport);
  }

  /** Whether the credential is valid (`GET /v1/login`): true, or false on a 401. */
  isValid(): Promise<boolean> {
    return credential.isValid(this.transport);
  }

  /** What the caller may do on a team or organisation (effective permissions, grantable roles): the console's one source. */
  myAccess(entity: Entity): Promise<MyAccess> {
    return credential.myAccess(this.transport, entity);
  }

  /** The permission catalogue. */
  permissions(): Promise<PermissionInfo[]> {
    return credential.permissions(this.transport);
  }

  /** Organisations you belong to, and their teams. */
  readonly orgs: OrgsApi = createOrgsApi(this.transport);

  /** Teams you reach, as a member or through an organisation role. */
  readonly teams: TeamsApi = createTeamsApi(this.transport);

  /** Roles of a team. */
  teamRoles(teamId: string): RolesApi<TeamRole, TeamRoleCreate, TeamRoleUpdate> {
    return createRolesApi<TeamRole, TeamRoleCreate, TeamRoleUpdate>(this.transport, { type: "team", id: teamId });
  }

  /** Roles of an organisation. */
  orgRoles(orgId: string): RolesApi<OrgRole, OrgRoleCreate, OrgRoleUpdate> {
    return createRolesApi<OrgRole, OrgRoleCreate, OrgRoleUpdate>(this.transport, { type: "org", id: orgId });
  }

  /** Roles of a team or an organisation, when the caller handles both alike (the console). */
  roles(entity: Entity): RolesApi<Role, TeamRoleCreate | OrgRoleCreate, TeamRoleUpdate | OrgRoleUpdate> {
    return createRolesApi(this.transport, entity);
  }

  /** Members of a team or organisation, and the invitations still pending there. */
  members(entity: Entity): MembersApi {
    return createMembersApi(this.transport, entity);
  }

  /** API tokens of a team or organisation. Only `create` and `rotate` ever return a secret. */
  tokens(entity: Entity): TokensApi {
    return createTokensApi(this.transport, entity);
  }

  /** Webhooks of a team or organisation. Only `create` returns the signing secret. */
  webhooks(entity: Entity): WebhooksApi {
    return createWebhooksApi(this.transport, entity);
  }

  /** Audit feeds of a team or organisation, and of one of its tokens. */
  audit(entity: Entity): AuditApi {
    return createAuditApi(this.transport, entity);
  }

  /** Projects of a team. */
  projects(teamId: string): ProjectsApi {
    return createProjectsApi(this.transport, teamId);
  }

  /**
   * APIs of your own of a team or organisation: the permissions its roles grant in `apiScope`. `update` with
   * `permissions` replaces the list; a permission left out (or a deleted API) leaves every role that granted it.
   */
  apis(entity: Entity): ApisApi {
    return createApisApi(this.transport, entity);
  }

  /** Trust policies of a team or organisation: which CI ID tokens the token exchange accepts. */
  trustPolicies(entity: Entity): TrustPoliciesApi {
    return createTrustPoliciesApi(this.transport, entity);
  }

  /** The console half of the device flow (session credential only): look up, approve or deny by user code. */
  readonly device: DeviceApi = createDeviceApi(this.transport);

  /** The browser half of `latchkey login` (session credential only). */
  readonly cliLogin: CliLoginApi = createCliLoginApi(this.transport);
}
