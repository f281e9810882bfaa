import { z } from "zod";
import { API_PERMISSION_MAX, API_PERMISSION_PATTERN, MAX_PERMISSIONS_PER_API } from "../api-permissions.js";
import { Description, IsoTime, Name, Slug } from "./common.js";

/** A permission id of an API (`invoices.read`). */
export const ApiPermissionId = z
  .string()
  .max(API_PERMISSION_MAX)
  .regex(API_PERMISSION_PATTERN, "must be lower-case words joined by '.', '_' or '-'");

/** One permission an API declares. */
export const ApiPermission = z.object({ id: ApiPermissionId, description: z.string(), sensitive: z.boolean() });

/** A permission as a create or update request gives it. */
export const ApiPermissionInput = z.strictObject({
  id: ApiPermissionId,
  description: Description.default(""),
  sensitive: z.boolean().default(false),
});

const PermissionList = z
  .array(ApiPermissionInput)
  .max(MAX_PERMISSIONS_PER_API)
  .refine((list) => new Set(list.map((p) => p.id)).size === list.length, { message: "permission ids must be unique" });

/** An API of your own: a service of the team or organisation, with the permissions it checks. */
export const Api = z.object({
  id: Slug,
  name: z.string(),
  description: z.string(),
  permissions: z.array(ApiPermission),
  createdAt: IsoTime,
  updatedAt: IsoTime,
});

/** `POST .../apis`. */
export const ApiCreate = z.strictObject({
  id: Slug.optional(),
  name: Name,
  description: Description.default(""),
  permissions: PermissionList.default(() => []),
});

/**
 * `PATCH .../apis/{apiId}`. `permissions` replaces the whole list: a permission left out is taken out of every role
 * that granted it, in the same transaction.
 */
export const ApiUpdate = z.strictObject({
  name: Name.optional(),
  description: Description.optional(),
  permissions: PermissionList.optional(),
});
