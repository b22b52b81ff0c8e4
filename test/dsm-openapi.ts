// Fortanix's own description of the DSM REST API ("Fortanix DSM REST API" 0.1.0-20260710, OpenAPI
// 3.0, Apache-2.0; a copy is test/fixtures/fortanix-dsm-openapi.json), as a validator: the
// request each operation takes and the answer it gives, checked with Ajv against the document's
// schemas. Tests hold both the client (what it sends) and the emulator (what it answers) to it.
import { readFileSync } from "node:fs";
import path from "node:path";
import Ajv2019, { type ErrorObject, type ValidateFunction } from "ajv/dist/2019";
import addFormats from "ajv-formats";

interface OpenApiOperation {
  operationId: string;
  parameters?: ({ $ref: string } | { name: string; in: string; schema?: unknown })[];
  requestBody?: { required?: boolean; content?: { "application/json"?: { schema?: unknown } } };
  responses: Record<string, { content?: { "application/json"?: { schema?: unknown } } } | undefined>;
}
interface OpenApiDocument {
  info: { title: string; version: string };
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, unknown>; parameters: Record<string, { in: string; name: string; schema: { $ref: string } }> };
}

export const DSM_OPENAPI: OpenApiDocument = JSON.parse(
  readFileSync(path.join(__dirname, "fixtures", "fortanix-dsm-openapi.json"), "utf8"),
) as OpenApiDocument;

const ajv = new Ajv2019({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addFormat("byte", /^[A-Za-z0-9+/]*={0,2}$/);
ajv.addSchema(DSM_OPENAPI, "dsm");
// Query parameters arrive as strings: checked with the schema's types coerced, as a server reads them.
const params = new Ajv2019({ strict: false, allErrors: true, coerceTypes: true });
addFormats(params);
params.addSchema(DSM_OPENAPI, "dsm");

/** A `$ref` of the document, absolute for Ajv. */
function ref(value: unknown): unknown {
  if (value && typeof value === "object" && "$ref" in value) return { $ref: `dsm${(value as { $ref: string }).$ref}` };
  return value;
}

export interface DsmOperation {
  method: string;
  /** The path template of the document, e.g. `/sys/v1/apps/{app_id}`. */
  template: string;
  operationId: string;
  op: OpenApiOperation;
}

const templates = Object.keys(DSM_OPENAPI.paths).map((template) => ({
  template,
  regex: new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`),
  variables: (template.match(/\{/g) ?? []).length,
}));

/** The document's operation for a request, the most literal template winning (`/keys/info` over `/keys/{key_id}`). */
export function dsmOperation(method: string, requestPath: string): DsmOperation | undefined {
  const m = method.toLowerCase();
  const found = templates
    .filter((t) => t.regex.test(requestPath) && DSM_OPENAPI.paths[t.template][m] !== undefined)
    .sort((a, b) => a.variables - b.variables)[0];
  return found ? { method: m, template: found.template, operationId: DSM_OPENAPI.paths[found.template][m].operationId, op: DSM_OPENAPI.paths[found.template][m] } : undefined;
}

const compiled = new Map<string, ValidateFunction>();
function validatorFor(key: string, schema: unknown, engine: Ajv2019 = ajv): ValidateFunction {
  let v = compiled.get(key);
  if (!v) {
    v = engine.compile(schema as object);
    compiled.set(key, v);
  }
  return v;
}

function describe(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).slice(0, 8).map((e) => `${e.instancePath || "(body)"} ${e.message}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ""}`);
}

/**
 * Problems with a request the client sends: unknown operation, a body where the operation takes
 * none, a body that does not validate against the operation's request schema (an unknown top-level
 * field included), a query parameter the operation does not take or of the wrong type.
 */
export function dsmRequestProblems(method: string, requestPath: string, body: unknown, query: Record<string, string> = {}): string[] {
  const found = dsmOperation(method, requestPath);
  if (!found) return [`${method} ${requestPath}: no such operation in ${DSM_OPENAPI.info.title} ${DSM_OPENAPI.info.version}`];
  const where = `${found.operationId} (${method.toUpperCase()} ${found.template})`;
  const problems: string[] = [];
  const schema = found.op.requestBody?.content?.["application/json"]?.schema;
  if (schema === undefined) {
    if (body !== undefined) problems.push(`${where} takes no body, got ${JSON.stringify(body).slice(0, 120)}`);
  } else if (body === undefined) {
    if (found.op.requestBody?.required === true) problems.push(`${where} needs a body`);
  } else {
    const v = validatorFor(`req:${found.operationId}`, { ...(ref(schema) as object), unevaluatedProperties: false });
    if (!v(body)) problems.push(...describe(v.errors).map((e) => `${where} request ${e}`));
  }
  const accepted = queryParameters(found.op);
  for (const [key, value] of Object.entries(query)) {
    const schema = accepted.get(key);
    if (schema === undefined) {
      problems.push(`${where} takes no query parameter "${key}" (it takes ${[...accepted.keys()].sort().join(", ") || "none"})`);
      continue;
    }
    const v = validatorFor(`query:${found.operationId}:${key}`, { type: "object", properties: { [key]: ref(schema) } }, params);
    if (!v({ [key]: value })) problems.push(...describe(v.errors).map((e) => `${where} query ${e}`));
  }
  return problems;
}

/**
 * The query parameters of an operation, name → schema. The document declares each group of them as
 * one exploded object parameter (`ListAppsParams`), whose properties, across its `allOf` and
 * `oneOf` parts, are the query keys.
 */
function queryParameters(op: OpenApiOperation): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const resolve = (s: unknown): Record<string, unknown> => {
    const r = (s as { $ref?: string } | undefined)?.$ref;
    return (r ? DSM_OPENAPI.components.schemas[r.split("/").pop()!] : s) as Record<string, unknown>;
  };
  const walk = (s: unknown): void => {
    const schema = resolve(s);
    if (!schema) return;
    for (const [k, v] of Object.entries((schema.properties as Record<string, unknown> | undefined) ?? {})) out.set(k, v);
    for (const part of [...((schema.allOf as unknown[]) ?? []), ...((schema.oneOf as unknown[]) ?? []), ...((schema.anyOf as unknown[]) ?? [])]) walk(part);
  };
  for (const p of op.parameters ?? []) {
    const param = "$ref" in p ? DSM_OPENAPI.components.parameters[p.$ref.split("/").pop()!] : p;
    if (param?.in !== "query") continue;
    if ("explode" in param || (param.schema && "$ref" in (param.schema as object))) walk(param.schema);
    else out.set(param.name, param.schema);
  }
  return out;
}

/** Problems with an answer: a 2xx whose body does not validate against the operation's response schema. */
export function dsmResponseProblems(method: string, requestPath: string, status: number, body: unknown): string[] {
  const found = dsmOperation(method, requestPath);
  if (!found) return [`${method} ${requestPath}: no such operation`];
  if (status < 200 || status >= 300) return [];
  const where = `${found.operationId} (${method.toUpperCase()} ${found.template}) ${status}`;
  const declared = found.op.responses[String(status)] ?? found.op.responses["2XX"];
  if (!declared) return [`${where}: the document declares no ${status} answer (it declares ${Object.keys(found.op.responses).join(", ")})`];
  const schema = declared.content?.["application/json"]?.schema;
  if (schema === undefined) return body === undefined || body === "" ? [] : [`${where}: the document declares no body, got one`];
  const v = validatorFor(`res:${found.operationId}`, ref(schema));
  return v(body) ? [] : describe(v.errors).map((e) => `${where} answer ${e}`);
}

/** The enum of a named schema of the document (e.g. `KeyOperations`). */
export function dsmEnum(name: string): string[] {
  const s = DSM_OPENAPI.components.schemas[name] as { enum?: string[] } | undefined;
  if (!s?.enum) throw new Error(`${name} is no enum schema of the document`);
  return s.enum;
}
