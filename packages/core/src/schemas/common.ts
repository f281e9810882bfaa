import { z } from "zod";
import { API_PERMISSION_MAX, MAX_API_SCOPE, parseApiPermission } from "../api-permissions.js";
import { permission, type PermissionScope } from "../permissions.js";
import { SLUG_MAX, SLUG_PATTERN } from "../slug.js";

/** An organisation, team, role or project id. */
export const Slug = z
  .string()
  .max(SLUG_MAX)
  .regex(SLUG_PATTERN, "must be lower-case letters, digits and single hyphens")
  .meta({ examples: ["acme"] });

/** Where roles, members and tokens live: a team or an organisation. */
export const EntityRef = z.object({ type: z.enum(["team", "org"]), id: Slug });
export type EntityRef = z.output<typeof EntityRef>;

/** A display name: 1 to 100 characters, no control characters. */
export const Name = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^\p{Cc}]*$/u, "must not contain control characters")
  .meta({ examples: ["Acme"] });

/** Free text of up to 1000 characters. */
export const Description = z.string().max(1000);

/** An ISO 8601 time. */
export const IsoTime = z.iso.datetime({ offset: true }).meta({ examples: ["2027-01-01T00:00:00Z"] });

/** An e-mail address, lower-cased. */
export const Email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email())
  .meta({ examples: ["ada@example.com"] });

const scoped = (scope: PermissionScope) =>
  z
    .array(z.string().max(64))
    .max(100)
    .refine((ids) => ids.every((id) => permission(id)?.scope === scope), {
      message: `every entry must be a ${scope}-scope permission id`,
    })
    .transform((ids) => [...new Set(ids)]);

/** A full API permission name (`billing:invoices.read`). */
export const ApiPermissionFullName = z
  .string()
  .max(API_PERMISSION_MAX * 2 + 1)
  .refine((name) => parseApiPermission(name) !== null, { message: "must be <apiId>:<permissionId>, e.g. billing:invoices.read" });

/** The `apiScope` of a role: full names of permissions of its team's or organisation's APIs, without repeats. */
export const ApiScopeSchema = z
  .array(ApiPermissionFullName)
  .max(MAX_API_SCOPE)
  .transform((names) => [...new Set(names)]);

/** A role's permissions in the three catalogue scopes, and of APIs of your own (absent: none). */
export const PermissionSetSchema = z.strictObject({
  orgScope: scoped("org").default(() => []),
  teamScope: scoped("team").default(() => []),
  projectScope: scoped("project").default(() => []),
  apiScope: ApiScopeSchema.default(() => []),
});

/** A team role's (or one organisation team's) limit to chosen projects. */
export const ProjectRestrictionsSchema = z.strictObject({
  enabled: z.boolean(),
  projects: z
    .array(Slug)
    .max(500)
    .default(() => []),
  restrictionMode: z.enum(["in", "notIn"]).default("in"),
});

/** An organisation role's limit to chosen teams. */
export const OrgRestrictionsSchema = z.strictObject({
  enabled: z.boolean(),
  teams: z
    .array(
      z.strictObject({
        teamId: Slug,
        restrictions: ProjectRestrictionsSchema.default(() => ({ enabled: false, projects: [], restrictionMode: "in" as const })),
      }),
    )
    .max(500)
    .default(() => []),
});

/** Items per page when a list's query names none. */
export const DEFAULT_PAGE_SIZE = 50;
const PageSize = z.coerce.number().int().min(1).max(100);
const PAGE_SHAPE = {
  perPage: PageSize.optional().meta({ description: `Items per page, 1 to 100 (${DEFAULT_PAGE_SIZE} when absent).` }),
  per_page: PageSize.optional().meta({
    deprecated: true,
    description: "Deprecated spelling of `perPage` (Northflank's), still accepted; send one of the two.",
  }),
  cursor: z.string().max(512).optional().meta({ description: "The `cursor` of the previous page's `pagination`." }),
};
type PageSizeFields = { perPage?: number | undefined; per_page?: number | undefined };

/**
 * A list's query: the filters of `shape`, the page size and the cursor. Query parameters are camelCase like every
 * field of the API; the page size is `perPage`, and `per_page` (Northflank's spelling, which its clients send) is
 * accepted for it, documented as deprecated. Parsed, the query holds `perPage` only.
 */
export function pagedQuery<S extends z.ZodRawShape>(shape: S) {
  const query = z.strictObject({ ...PAGE_SHAPE, ...shape });
  type Raw = z.output<typeof query>;
  return query
    .refine((q) => (q as PageSizeFields).perPage === undefined || (q as PageSizeFields).per_page === undefined, {
      message: "give perPage or per_page (its deprecated spelling), not both",
      path: ["per_page"],
    })
    .transform((q) => {
      const { perPage, per_page, ...rest } = q as Raw & PageSizeFields;
      return { ...(rest as Omit<Raw, keyof PageSizeFields>), perPage: perPage ?? per_page ?? DEFAULT_PAGE_SIZE };
    });
}

/** `perPage` and `cursor` of every list. */
export const PageQuery = pagedQuery({});

/** The pagination block of every list reply; `cursor` is absent on the last page. */
export const Pagination = z.object({
  hasNextPage: z.boolean(),
  count: z.number().int(),
  cursor: z.string().optional(),
});

/** The error envelope. */
export const ErrorReply = z.object({
  error: z.object({
    status: z.number().int(),
    code: z.string(),
    message: z.string(),
    id: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

/** An empty request body or query. */
export const Empty = z.strictObject({});
