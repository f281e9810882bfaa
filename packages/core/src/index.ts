export * from "./errors.js";
export * from "./slug.js";
export * from "./permissions.js";
export * from "./rbac.js";
export * from "./schemas/common.js";
export * from "./schemas/entities.js";
export * from "./schemas/tokens.js";
export * from "./schemas/audit.js";
