import { HttpClient, type LatchkeyClientOptions, type Page } from "./http.js";
import type {
  Api,
  ApiCreate,
  ApiUpdate,
  AuditEvent,
  AuditFilters,
  AuditVerification,
  AuthInfo,
  CliLoginApprove,
  CliLoginDescription,
  Entity,
  Invitation,
  InvitationAccept,
  InvitationConfirm,
  InvitationPreview,
  InviteReply,
  KeyRotated,
  Member,
  MyAccess,
  Org,
  OrgCreate,
  OrgRole,
  OrgRoleCreate,
  OrgRoleUpdate,
  PermissionInfo,
  Project,
  ProjectCreate,
  Role,
  SessionReply,
  SetupCreate,
  Team,
  TeamCreate,
  TeamRole,
  TeamRoleCreate,
  TeamRoleUpdate,
  TeamUpdate,
  TokenCreate,
  TokenCreated,
  TokenMetadata,
  TokenUpdate,
  TrustPolicy,
  TrustPolicyCreate,
  TrustPolicyUpdate,
  DeviceApprove,
  DeviceRequestInfo,
  Webhook,
  WebhookCreate,
  WebhookCreated,
  WebhookDelivery,
  WebhookUpdate,
} from "./types.js";

const enc = encodeURIComponent;

/** The path prefix of a team or organisation. */
export function entityPath(entity: Entity): string {
  return `/v1/${entity.type === "team" ? "teams" : "orgs"}/${enc(entity.id)}`;
}

/** A page of a list: `perPage` items (1 to 100, 50 by default) after `cursor`; `per_page` is its deprecated spelling. */
type PageOptions = { perPage?: number; /** @deprecated use perPage */ per_page?: number; cursor?: string };
type Deleted = { id: string; deleted: true };

/** Roles of a team or an organisation; the role type follows the entity. */
export interface RolesApi<R, C, U> {
  list(options?: PageOptions): Promise<Page<R>>;
  all(): Promise<R[]>;
  get(roleId: string): Promise<R>;
  create(body: C): Promise<R>;
  update(roleId: string, body: U): Promise<R>;
  delete(roleId: string): Promise<Deleted>;
  members(roleId: string, options?: PageOptions): Promise<Page<Member>>;
  addMember(roleId: string, userId: string): Promise<Member>;
  removeMember(roleId: string, userId: string): Promise<Member>;
}

/**
 * A typed client of Latchkey's public API, for the browser (the console's cookie session) and Node (an API token,
 * or a session it signs in itself). Every method returns the reply's `data` and throws ApiError (or TransportError) otherwise.
 */
export class LatchkeyClient extends HttpClient {
  constructor(options: LatchkeyClientOptions = {}) {
    super(options);
  }

  /** Console sessions. Signing in, or reading the session, stores its CSRF token on this client. */
  readonly session = {
    signIn: async (email: string, password: string): Promise<SessionReply> => {
      const reply = await this.request<SessionReply>("POST", "/v1/session", { body: { email, password } });
      this.csrfToken = reply.csrfToken;
      return reply;
    },
    get: async (): Promise<SessionReply> => {
      const reply = await this.request<SessionReply>("GET", "/v1/session");
      this.csrfToken = reply.csrfToken;
      return reply;
    },
    /** Changes your password: every session of yours ends and this one is replaced (its new CSRF token is kept). */
    changePassword: async (currentPassword: string, newPassword: string): Promise<SessionReply> => {
      const reply = await this.request<SessionReply>("POST", "/v1/session/password", { body: { currentPassword, newPassword } });
      this.csrfToken = reply.csrfToken;
      return reply;
    },
    signOut: async (): Promise<void> => {
      await this.request("DELETE", "/v1/session");
      this.csrfToken = undefined;
    },
  };

  /** First-run setup through the one-time link the server printed. */
  readonly setup = {
    /** Whether the instance waits for its first account; with a link's `token`, whether that link can still make it. */
    status: (token?: string) =>
      this.request<{ needsSetup: boolean; linkValid?: boolean }>("GET", "/v1/setup", token ? { query: { token } } : {}),
    create: async (body: SetupCreate): Promise<SessionReply> => {
      const reply = await this.request<SessionReply>("POST", "/v1/setup", { body });
      this.csrfToken = reply.csrfToken;
      return reply;
    },
  };

  /**
   * Accepts an invitation through the link given to the inviter (`?token=`): only an account the address already has,
   * with its password, joins and signs in. Anything else throws ApiError 403 CONFIRMATION_REQUIRED, and the server sends
   * the address its own link again.
   */
  async acceptInvitation(body: InvitationAccept): Promise<SessionReply> {
    const reply = await this.request<SessionReply>("POST", "/v1/invitations/accept", { body });
    this.csrfToken = reply.csrfToken;
    return reply;
  }

  /**
   * Accepts an invitation through the link sent to the address (`?confirm=`), which proves it: creates the account
   * (`name` required then) or, when the address has one, takes its password; joins and signs in.
   */
  async confirmInvitation(body: InvitationConfirm): Promise<SessionReply> {
    const reply = await this.request<SessionReply>("POST", "/v1/invitations/confirm", { body });
    this.csrfToken = reply.csrfToken;
    return reply;
  }

  /**
   * What an invitation link leads to, for its landing page: `{token}` from the inviter's link (`?token=`) or `{confirm}`
   * from the one sent to the address (`?confirm=`). ApiError 404 when the link is unknown, used, revoked or expired.
   */
  lookupInvitation(body: { token: string } | { confirm: string }): Promise<InvitationPreview> {
    return this.request<InvitationPreview>("POST", "/v1/invitations/lookup", { body });
  }

  /** What the credential may do right now (`GET /v1/auth`). */
  auth(): Promise<AuthInfo> {
    return this.request<AuthInfo>("GET", "/v1/auth");
  }

  /** Checks the credential (`GET /v1/login`): its kind, or ApiError 401 saying why it is refused. */
  login(): Promise<{ valid: true; tokenKind: "api" | "session" }> {
    return this.request("GET", "/v1/login");
  }

  /** Whether the credential is valid (`GET /v1/login`): true, or false on a 401. */
  async isValid(): Promise<boolean> {
    try {
      await this.request("GET", "/v1/login");
      return true;
    } catch (error) {
      if ((error as { status?: number }).status === 401) return false;
      throw error;
    }
  }

  /** What the caller may do on a team or organisation (effective permissions, grantable roles): the console's one source. */
  myAccess(entity: Entity): Promise<MyAccess> {
    return this.request<MyAccess>("GET", `${entityPath(entity)}/my-access`);
  }

  /** The permission catalogue. */
  permissions(): Promise<PermissionInfo[]> {
    return this.request<PermissionInfo[]>("GET", "/v1/permissions");
  }

  /** Organisations you belong to, and their teams. */
  readonly orgs = {
    list: (options: PageOptions = {}) => this.page<Org>("/v1/orgs", "orgs", options),
    all: () => this.all<Org>("/v1/orgs", "orgs"),
    get: (orgId: string) => this.request<Org>("GET", `/v1/orgs/${enc(orgId)}`),
    create: (body: OrgCreate) => this.request<Org>("POST", "/v1/orgs", { body }),
    update: (orgId: string, body: { name?: string }) => this.request<Org>("PATCH", `/v1/orgs/${enc(orgId)}`, { body }),
    delete: (orgId: string) => this.request<Deleted>("DELETE", `/v1/orgs/${enc(orgId)}`),
    teams: (orgId: string) => this.all<Team>(`/v1/orgs/${enc(orgId)}/teams`, "teams"),
    createTeam: (orgId: string, body: TeamCreate) => this.request<Team>("POST", `/v1/orgs/${enc(orgId)}/teams`, { body }),
  };

  /** Teams you reach, as a member or through an organisation role. */
  readonly teams = {
    list: (options: PageOptions = {}) => this.page<Team>("/v1/teams", "teams", options),
    all: () => this.all<Team>("/v1/teams", "teams"),
    get: (teamId: string) => this.request<Team>("GET", `/v1/teams/${enc(teamId)}`),
    create: (body: TeamCreate) => this.request<Team>("POST", "/v1/teams", { body }),
    update: (teamId: string, body: TeamUpdate) => this.request<Team>("PATCH", `/v1/teams/${enc(teamId)}`, { body }),
    delete: (teamId: string) => this.request<Deleted>("DELETE", `/v1/teams/${enc(teamId)}`),
  };

  /** Roles of a team. */
  teamRoles(teamId: string): RolesApi<TeamRole, TeamRoleCreate, TeamRoleUpdate> {
    return this.rolesOf<TeamRole, TeamRoleCreate, TeamRoleUpdate>({ type: "team", id: teamId });
  }

  /** Roles of an organisation. */
  orgRoles(orgId: string): RolesApi<OrgRole, OrgRoleCreate, OrgRoleUpdate> {
    return this.rolesOf<OrgRole, OrgRoleCreate, OrgRoleUpdate>({ type: "org", id: orgId });
  }

  /** Roles of a team or an organisation, when the caller handles both alike (the console). */
  roles(entity: Entity): RolesApi<Role, TeamRoleCreate | OrgRoleCreate, TeamRoleUpdate | OrgRoleUpdate> {
    return this.rolesOf(entity);
  }

  /** Members of a team or organisation, and the invitations still pending there. */
  members(entity: Entity) {
    const base = `${entityPath(entity)}/members`;
    const invitations = `${entityPath(entity)}/invitations`;
    return {
      list: (options: PageOptions = {}) => this.page<Member>(base, "members", options),
      all: () => this.all<Member>(base, "members"),
      invite: (email: string, roles: string[]) => this.request<InviteReply>("POST", base, { body: { email, roles } }),
      setRoles: (userId: string, roles: string[]) => this.request<Member>("PATCH", `${base}/${enc(userId)}`, { body: { roles } }),
      remove: (userId: string) => this.request<{ userId: string; deleted: true }>("DELETE", `${base}/${enc(userId)}`),
      /** Pending invitations, newest first (never their links). */
      invitations: () => this.all<Invitation>(invitations, "invitations"),
      /** Revokes a pending invitation: both of its links stop working. */
      revokeInvitation: (invitationId: string) =>
        this.request<{ id: string; revoked: true }>("DELETE", `${invitations}/${enc(invitationId)}`),
      /**
       * New links for a pending invitation (links are shown once and cannot be copied again): the old ones stop, the
       * address is sent its new link, and the invitation runs its full time again.
       */
      renewInvitation: (invitationId: string) => this.request<InviteReply>("POST", `${invitations}/${enc(invitationId)}/link`),
    };
  }

  /** API tokens of a team or organisation. Only `create` and `rotate` ever return a secret. */
  tokens(entity: Entity) {
    const base = `${entityPath(entity)}/tokens`;
    const one = (tokenId: string) => `${base}/${enc(tokenId)}`;
    return {
      /** `all: true` includes revoked and expired tokens. */
      list: (options: PageOptions & { all?: boolean } = {}) => this.page<TokenMetadata>(base, "apiTokens", options),
      /** Every token (`limit`: 10,000 unless told, `Infinity` for every one). */
      all: (includeInactive = false, limit?: number) => this.all<TokenMetadata>(base, "apiTokens", { all: includeInactive }, limit),
      get: (tokenId: string) => this.request<TokenMetadata>("GET", one(tokenId)),
      create: (body: TokenCreate) => this.request<TokenCreated>("POST", base, { body }),
      update: (tokenId: string, body: TokenUpdate) => this.request<TokenMetadata>("PATCH", one(tokenId), { body }),
      revoke: (tokenId: string) => this.request<TokenMetadata>("DELETE", one(tokenId)),
      /** Regenerate: a new secret; the other keys stop at `otherKeysExpiresAt` (default now). */
      rotate: (tokenId: string, otherKeysExpiresAt?: string) =>
        this.request<KeyRotated>("POST", `${one(tokenId)}/keys`, { body: otherKeysExpiresAt ? { otherKeysExpiresAt } : {} }),
      deleteKey: (tokenId: string, keyId: string) => this.request<Deleted>("DELETE", `${one(tokenId)}/keys/${enc(keyId)}`),
    };
  }

  /** Webhooks of a team or organisation. Only `create` returns the signing secret. */
  webhooks(entity: Entity) {
    const base = `${entityPath(entity)}/webhooks`;
    const one = (webhookId: string) => `${base}/${enc(webhookId)}`;
    return {
      list: (options: PageOptions = {}) => this.page<Webhook>(base, "webhooks", options),
      all: () => this.all<Webhook>(base, "webhooks"),
      get: (webhookId: string) => this.request<Webhook>("GET", one(webhookId)),
      create: (body: WebhookCreate) => this.request<WebhookCreated>("POST", base, { body }),
      update: (webhookId: string, body: WebhookUpdate) => this.request<Webhook>("PATCH", one(webhookId), { body }),
      delete: (webhookId: string) => this.request<Deleted>("DELETE", one(webhookId)),
      /** Sends a `webhook.test` event now; the reply is its delivery (pending until the receiver answers). */
      test: (webhookId: string) => this.request<WebhookDelivery>("POST", `${one(webhookId)}/test`, { body: {} }),
      /** The webhook's deliveries, newest first. */
      deliveries: (webhookId: string, options: PageOptions = {}) =>
        this.page<WebhookDelivery>(`${one(webhookId)}/deliveries`, "deliveries", options),
    };
  }

  /** Audit feeds of a team or organisation, and of one of its tokens. */
  audit(entity: Entity) {
    const base = entityPath(entity);
    const feed = (tokenId?: string) => (tokenId ? `${base}/tokens/${enc(tokenId)}/audit-logs` : `${base}/audit-logs`);
    return {
      list: (filters: AuditFilters & PageOptions = {}, tokenId?: string) => this.page<AuditEvent>(feed(tokenId), "auditLogs", filters),
      /** Events newest first, page after page, up to `limit`. */
      all: (filters: AuditFilters = {}, limit?: number, tokenId?: string) =>
        this.all<AuditEvent>(feed(tokenId), "auditLogs", filters, limit),
      verify: (tokenId?: string) => this.request<AuditVerification>("GET", `${feed(tokenId)}/verify`),
    };
  }

  /** Projects of a team. */
  projects(teamId: string) {
    const base = `/v1/teams/${enc(teamId)}/projects`;
    return {
      list: (options: PageOptions = {}) => this.page<Project>(base, "projects", options),
      all: () => this.all<Project>(base, "projects"),
      get: (projectId: string) => this.request<Project>("GET", `${base}/${enc(projectId)}`),
      create: (body: ProjectCreate) => this.request<Project>("POST", base, { body }),
      delete: (projectId: string) => this.request<Deleted>("DELETE", `${base}/${enc(projectId)}`),
    };
  }

  /**
   * APIs of your own of a team or organisation: the permissions its roles grant in `apiScope`. `update` with
   * `permissions` replaces the list; a permission left out (or a deleted API) leaves every role that granted it.
   */
  apis(entity: Entity) {
    const base = `${entityPath(entity)}/apis`;
    const one = (apiId: string) => `${base}/${enc(apiId)}`;
    return {
      list: (options: PageOptions = {}) => this.page<Api>(base, "apis", options),
      all: () => this.all<Api>(base, "apis"),
      get: (apiId: string) => this.request<Api>("GET", one(apiId)),
      create: (body: ApiCreate) => this.request<Api>("POST", base, { body }),
      update: (apiId: string, body: ApiUpdate) => this.request<Api>("PATCH", one(apiId), { body }),
      delete: (apiId: string) => this.request<Deleted>("DELETE", one(apiId)),
    };
  }

  /** Trust policies of a team or organisation: which CI ID tokens the token exchange accepts. */
  trustPolicies(entity: Entity) {
    const base = `${entityPath(entity)}/trust-policies`;
    const one = (policyId: string) => `${base}/${enc(policyId)}`;
    return {
      list: (options: PageOptions = {}) => this.page<TrustPolicy>(base, "trustPolicies", options),
      all: () => this.all<TrustPolicy>(base, "trustPolicies"),
      get: (policyId: string) => this.request<TrustPolicy>("GET", one(policyId)),
      create: (body: TrustPolicyCreate) => this.request<TrustPolicy>("POST", base, { body }),
      update: (policyId: string, body: TrustPolicyUpdate) => this.request<TrustPolicy>("PATCH", one(policyId), { body }),
      delete: (policyId: string) => this.request<Deleted>("DELETE", one(policyId)),
    };
  }

  /** The console half of the device flow (session credential only): look up, approve or deny by user code. */
  readonly device = {
    lookup: (userCode: string) => this.request<DeviceRequestInfo>("POST", "/v1/oauth/device/lookup", { body: { userCode } }),
    approve: (body: DeviceApprove) => this.request<{ apiToken: TokenMetadata }>("POST", "/v1/oauth/device/approve", { body }),
    deny: (userCode: string) => this.request<{ denied: true }>("POST", "/v1/oauth/device/deny", { body: { userCode } }),
  };

  /** The browser half of `latchkey login` (session credential only). */
  readonly cliLogin = {
    /** The pairing code the waiting CLI shows (null when it shows none), for the person to compare. */
    describe: (sessionToken: string) => this.request<CliLoginDescription>("POST", "/v1/cli-login/describe", { body: { sessionToken } }),
    approve: (body: CliLoginApprove) => this.request<Record<string, unknown>>("POST", "/v1/cli-login/approve", { body }),
    deny: (sessionToken: string) => this.request<Record<string, unknown>>("POST", "/v1/cli-login/deny", { body: { sessionToken } }),
  };

  private rolesOf<R, C, U>(entity: Entity): RolesApi<R, C, U> {
    const base = `${entityPath(entity)}/roles`;
    const one = (roleId: string) => `${base}/${enc(roleId)}`;
    return {
      list: (options = {}) => this.page<R>(base, "roles", options),
      all: () => this.all<R>(base, "roles"),
      get: (roleId) => this.request<R>("GET", one(roleId)),
      create: (body) => this.request<R>("POST", base, { body }),
      update: (roleId, body) => this.request<R>("PATCH", one(roleId), { body }),
      delete: (roleId) => this.request<Deleted>("DELETE", one(roleId)),
      members: (roleId, options = {}) => this.page<Member>(`${one(roleId)}/members`, "members", options),
      addMember: (roleId, userId) => this.request<Member>("POST", `${one(roleId)}/members`, { body: { userId } }),
      removeMember: (roleId, userId) => this.request<Member>("DELETE", `${one(roleId)}/members/${enc(userId)}`),
    };
  }
}
