export * from "./errors.js";
export * from "./client.js";
export * from "./cli-login.js";
export type * from "./types.js";
