export * from "./errors.js";
export * from "./host.js";
export * from "./cli-login.js";
export type { LatchkeyClientOptions, Page, Pagination, Query } from "./http.js";
export * from "./latchkey-client.js";
export type * from "./types.js";
export * from "./oauth.js";
export * from "./token-shape.js";
export * from "./webhook-events.js";
