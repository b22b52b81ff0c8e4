// Reading management-API requests as DSM does: body fields and query parameters checked against the
// document's schemas (types, required fields, enums, unique items), each refusal a 400 worded the
// serde way DSM reports it (DSM_EMULATOR_UNCONFIRMED.validationMessageStyle); and the paging of
// lists (`limit`, `offset`, and the "with metadata" answers the document describes).
import { DsmError, UUID } from "./dsm-state";
import { DSM_EMULATOR_UNCONFIRMED } from "./dsm-unconfirmed";

/** serde's description of a JSON value in "invalid type" messages. */
function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "sequence";
  if (typeof v === "string") return `string ${JSON.stringify(v)}`;
  if (typeof v === "boolean") return `boolean \`${v}\``;
  if (typeof v === "number") return Number.isInteger(v) ? `integer \`${v}\`` : `floating point \`${v}\``;
  return "map";
}

/** `a.b: ` for a field of a nested object, `` at the top. */
function at(where: string): string {
  return where === "" ? "" : `${where}: `;
}

function join(where: string, field: string): string {
  return where === "" ? field : `${where}.${field}`;
}

export function invalidType(field: string, value: unknown, expected: string): DsmError {
  return new DsmError(400, `${field}: invalid type: ${describe(value)}, expected ${expected}`);
}

export function missingField(where: string, field: string): DsmError {
  return new DsmError(400, `${at(where)}missing field \`${field}\``);
}

/** The body as an object (`where` names it in messages when it is a nested object). */
export function asObject(body: unknown, where = ""): Record<string, unknown> {
  if (body === undefined) throw new DsmError(400, `${at(where)}a JSON object is required`);
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw invalidType(where || "request body", body, "a map");
  return body as Record<string, unknown>;
}

/** A string field; `null` reads as absent (the document's fields are nullable where DSM allows it). */
export function optString(o: Record<string, unknown>, field: string, where = ""): string | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw invalidType(join(where, field), v, "a string");
  return v;
}

export function reqString(o: Record<string, unknown>, field: string, where = ""): string {
  const v = optString(o, field, where);
  if (v === undefined) throw missingField(where, field);
  return v;
}

/** A name (the document's pattern `^[^\n]*[^\s\n][^\n]*$`, at most 4096 characters). */
export function nameOf(value: string, field: string): string {
  if (value.length > 4096 || !/^[^\n]*[^\s\n][^\n]*$/.test(value)) {
    throw new DsmError(400, `${field}: invalid value: string ${JSON.stringify(value)}, expected a name of 1 to 4096 characters, not blank, without line breaks`);
  }
  return value;
}

export function optBool(o: Record<string, unknown>, field: string, where = ""): boolean | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw invalidType(join(where, field), v, "a boolean");
  return v;
}

/** An integer in 0..max (the document's `minimum: 0, maximum: 4294967295`). */
export function optUint(o: Record<string, unknown>, field: string, where = "", max = 4294967295): number | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max) throw invalidType(join(where, field), v, `an integer from 0 to ${max}`);
  return v;
}

export function optUuid(o: Record<string, unknown>, field: string, where = ""): string | undefined {
  const v = optString(o, field, where);
  if (v !== undefined && !UUID.test(v)) throw new DsmError(400, `${join(where, field)}: invalid value: string ${JSON.stringify(v)}, expected a UUID`);
  return v;
}

/** One of an enum's values. */
export function enumOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== "string") throw invalidType(field, value, "a string");
  if (!(allowed as readonly string[]).includes(value)) {
    throw new DsmError(400, `${field}: unknown variant \`${value}\`, expected one of ${allowed.map((a) => `\`${a}\``).join(", ")}`);
  }
  return value as T;
}

/** A list of an enum's values; repeats are dropped (DSM keeps these as sets). */
export function enumListOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T[] {
  if (!Array.isArray(value)) throw invalidType(field, value, "a sequence");
  const out: T[] = [];
  value.forEach((v, i) => {
    const item = enumOf(v, `${field}[${i}]`, allowed);
    if (!out.includes(item)) out.push(item);
  });
  return out;
}

/** A list of distinct strings (`uniqueItems: true`): a repeat is refused, not dropped. */
export function uniqueStringsOf(value: unknown, field: string): string[] {
  if (!Array.isArray(value)) throw invalidType(field, value, "a sequence");
  const out: string[] = [];
  value.forEach((v, i) => {
    if (typeof v !== "string") throw invalidType(`${field}[${i}]`, v, "a string");
    if (out.includes(v)) throw new DsmError(400, `${field}: invalid value: ${JSON.stringify(v)} is repeated, expected unique items`);
    out.push(v);
  });
  return out;
}

/** `YYYYMMDDTHHMMSSZ`. */
export function timestampOf(o: Record<string, unknown>, field: string, where = ""): string | undefined {
  const v = optString(o, field, where);
  if (v !== undefined && !/^\d{8}T\d{6}Z$/.test(v)) {
    throw new DsmError(400, `${join(where, field)}: invalid value: string ${JSON.stringify(v)}, expected a timestamp YYYYMMDDTHHMMSSZ`);
  }
  return v;
}

/** `custom_metadata`: a map of strings. */
export function customMetadataOf(value: unknown): Record<string, string> {
  const o = asObject(value, "custom_metadata");
  for (const [k, v] of Object.entries(o)) if (typeof v !== "string") throw invalidType(`custom_metadata.${k}`, v, "a string");
  return { ...(o as Record<string, string>) };
}

// ---- query parameters ------------------------------------------------------------------------

export function intParam(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null) return undefined;
  if (!/^\d+$/.test(v)) throw new DsmError(400, `query parameter ${name}: invalid value: ${JSON.stringify(v)}, expected a non-negative integer`);
  return Number(v);
}

export function boolParam(query: URLSearchParams, name: string): boolean | undefined {
  const v = query.get(name);
  if (v === null) return undefined;
  if (v !== "true" && v !== "false") throw new DsmError(400, `query parameter ${name}: invalid value: ${JSON.stringify(v)}, expected true or false`);
  return v === "true";
}

export function uuidParam(query: URLSearchParams, name: string): string | undefined {
  const v = query.get(name);
  if (v === null) return undefined;
  if (!UUID.test(v)) throw new DsmError(400, `query parameter ${name}: invalid value: ${JSON.stringify(v)}, expected a UUID`);
  return v;
}

export function enumParam<T extends string>(query: URLSearchParams, name: string, allowed: readonly T[]): T | undefined {
  const v = query.get(name);
  return v === null ? undefined : enumOf(v, `query parameter ${name}`, allowed);
}

// ---- paging ----------------------------------------------------------------------------------

function offsetOfToken(token: string): number {
  const m = /^offset:(\d+)$/.exec(Buffer.from(token, "base64url").toString("utf8"));
  if (!m || DSM_EMULATOR_UNCONFIRMED.continuationToken(Number(m[1])) !== token) {
    throw new DsmError(400, "query parameter continuation_token: invalid value: not a token from a previous answer");
  }
  return Number(m[1]);
}

/**
 * Apps and groups (`ListAppsParams`, `GetGroupsParams`): `limit` and `offset` page the list. With
 * `continuation_token` present (even empty) the answer is `{items, metadata}` whose metadata carries a
 * fresh token while more items remain; without it, a plain array.
 */
export function continuationPage<T>(items: T[], query: URLSearchParams, defaultLimit: number): T[] | { items: T[]; metadata: Record<string, unknown> } {
  const limit = intParam(query, "limit") ?? defaultLimit;
  const token = query.get("continuation_token");
  const offset = token ? offsetOfToken(token) : (intParam(query, "offset") ?? 0);
  const page = items.slice(offset, offset + limit);
  if (token === null) return page;
  const next = offset + page.length;
  return {
    items: page,
    metadata: {
      ...(next < items.length ? { continuation_token: DSM_EMULATOR_UNCONFIRMED.continuationToken(next) } : {}),
      count: items.length,
      count_accuracy: { $type: "Exact" },
    },
  };
}

/**
 * Keys (`ListSobjectsParams`): `limit` and `offset` page the matches of the filters; with
 * `with_metadata=true` the answer is `{items, metadata: {total_count, filtered_count}}` (`Metadata`),
 * total before the filters, filtered after them.
 */
export function metadataPage<T>(all: T[], matches: T[], query: URLSearchParams, defaultLimit: number): T[] | { items: T[]; metadata: Record<string, number> } {
  const limit = intParam(query, "limit") ?? defaultLimit;
  const offset = intParam(query, "offset") ?? 0;
  const page = matches.slice(offset, offset + limit);
  if (boolParam(query, "with_metadata") !== true) return page;
  return { items: page, metadata: { total_count: all.length, filtered_count: matches.length } };
}
