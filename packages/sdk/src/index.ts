export { LatchkeyClient, entityPath, type RolesApi } from "./client.js";
export {
  HttpClient,
  LatchkeyError,
  withQuery,
  type ApiErrorBody,
  type ClientOptions,
  type Page,
  type Pagination,
  type Query,
} from "./http.js";
export type * from "./types.js";
