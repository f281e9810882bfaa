import { DomainError } from "@latchkey/core";
import { sql, type Expression, type SelectQueryBuilder, type SqlBool } from "kysely";

/** Where a page starts: after the row with this creation time and id (lists are newest first). */
export interface Keyset {
  createdAt: string;
  id: string;
}

/** One page of a list. `cursor` is absent on the last page. */
export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
  cursor?: string;
  /** `items` as JSON text, where a cache serves the same page many times: serialized once, not for every reply. */
  itemsJson?: string;
}

/** What a list call asks for. */
export interface PageRequest {
  perPage: number;
  cursor?: string | undefined;
}

/** Decodes an opaque cursor; a cursor that is not ours is bad input, not a server error. */
export function decodeCursor(cursor: string | undefined): Keyset | undefined {
  if (cursor === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === "string" && typeof value[1] === "string") {
      return { createdAt: value[0], id: value[1] };
    }
  } catch {
    // fall through to the error below
  }
  throw new DomainError("VALIDATION_FAILED", "cursor is not valid", { fields: { cursor: "not a cursor from this API" } });
}

/** The condition "comes after `key`" in newest-first order of (createdColumn, idColumn). */
export function after(createdColumn: string, idColumn: string, key: Keyset): Expression<SqlBool> {
  const created = sql.ref(createdColumn);
  const id = sql.ref(idColumn);
  return sql<SqlBool>`(${created} < ${key.createdAt} or (${created} = ${key.createdAt} and ${id} < ${key.id}))`;
}

/** A condition no row meets, written into the SQL (SQLite cannot bind a boolean parameter). */
export const nothing: Expression<SqlBool> = sql<SqlBool>`1 = 0`;

/** The opaque cursor of a key (what decodeCursor reads back). */
export const encodeCursor = (key: Keyset): string => Buffer.from(JSON.stringify([key.createdAt, key.id])).toString("base64url");

/** Turns rows fetched with `limit perPage + 1` into a page. */
export function toPage<T>(rows: T[], perPage: number, keyOf: (row: T) => Keyset): Page<T> {
  const hasNextPage = rows.length > perPage;
  const items = hasNextPage ? rows.slice(0, perPage) : rows;
  const last = items[items.length - 1];
  if (!hasNextPage || !last) return { items, hasNextPage };
  const key = keyOf(last);
  return { items, hasNextPage, cursor: encodeCursor(key) };
}

/** How a list is ordered, newest first: its creation-time and id columns (SQL names), and a row's key in them. */
export interface KeysetOrder<O> {
  columns: readonly [created: string, id: string];
  keyOf: (row: O) => Keyset;
}

/** The key of a row with `created_at` and `id`: the order of most lists. */
export const createdAtAndId = (row: { created_at: string; id: string }): Keyset => ({ createdAt: row.created_at, id: row.id });

/**
 * One page of `query`, newest first: the rows after the page's cursor, `perPage + 1` fetched to learn whether another
 * page follows. Without `order`, the rows' own `created_at` and `id` columns.
 */
export function keysetPage<DB, TB extends keyof DB, O extends { created_at: string; id: string }>(
  query: SelectQueryBuilder<DB, TB, O>,
  page: PageRequest,
): Promise<Page<O>>;
export function keysetPage<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  page: PageRequest,
  order: KeysetOrder<O>,
): Promise<Page<O>>;
export async function keysetPage<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  page: PageRequest,
  order: KeysetOrder<O> = { columns: ["created_at", "id"], keyOf: createdAtAndId as (row: O) => Keyset },
): Promise<Page<O>> {
  const [created, id] = order.columns;
  const key = decodeCursor(page.cursor);
  const rows = await (key ? query.where(after(created, id, key)) : query)
    .orderBy(sql.ref(created), "desc")
    .orderBy(sql.ref(id), "desc")
    // A literal (perPage is a validated integer): SQLite plans a page with a bound LIMIT markedly slower.
    .limit(sql.lit(page.perPage + 1))
    .execute();
  return toPage(rows, page.perPage, order.keyOf);
}
