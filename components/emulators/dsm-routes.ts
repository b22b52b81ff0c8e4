// The management API's route table: each route is an operation of Fortanix's OpenAPI document (its
// operationId and path template), the module that serves it, and who may call it; and how answers
// are shaped on the way out (the extra fields option, the redacted copy the request log keeps).
import { appRoutes } from "./dsm-apps";
import { cryptoRoutes } from "./dsm-crypto";
import { groupRoutes } from "./dsm-groups";
import { authenticate, selectAccount, terminate } from "./dsm-sessions";
import { sobjectRoutes } from "./dsm-sobjects";
import { clone, DsmError, type DsmEmulatorReply, type DsmState, type RouteContext, type Session } from "./dsm-state";
import { DSM_EMULATOR_UNCONFIRMED } from "./dsm-unconfirmed";

/** One route of the management API: a path template of the document, and who may call it. */
export interface Route {
  method: string;
  template: string;
  operation: string;
  /** none: no caller (session/auth); session: a caller, no account needed; account: a caller working on the account. */
  auth: "none" | "session" | "account";
  run: (state: DsmState, ctx: RouteContext, session: Session | undefined) => DsmEmulatorReply;
}

export const MANAGEMENT_ROUTES: Route[] = [
  { method: "POST", template: "/sys/v1/session/auth", operation: "Authenticate", auth: "none", run: (s, c) => authenticate(s, c.headers) },
  { method: "POST", template: "/sys/v1/session/select_account", operation: "SelectAccount", auth: "session", run: (s, c, session) => selectAccount(s, c, session) },
  { method: "POST", template: "/sys/v1/session/terminate", operation: "Terminate", auth: "session", run: (s, c) => terminate(s, c.headers) },
  { method: "POST", template: "/sys/v1/groups", operation: "CreateGroup", auth: "account", run: groupRoutes.CreateGroup },
  { method: "GET", template: "/sys/v1/groups", operation: "ListGroups", auth: "account", run: groupRoutes.ListGroups },
  { method: "GET", template: "/sys/v1/groups/{group_id}", operation: "GetGroup", auth: "account", run: groupRoutes.GetGroup },
  { method: "PATCH", template: "/sys/v1/groups/{group_id}", operation: "UpdateGroup", auth: "account", run: groupRoutes.UpdateGroup },
  { method: "DELETE", template: "/sys/v1/groups/{group_id}", operation: "DeleteGroup", auth: "account", run: groupRoutes.DeleteGroup },
  { method: "POST", template: "/sys/v1/apps", operation: "CreateApp", auth: "account", run: appRoutes.CreateApp },
  { method: "GET", template: "/sys/v1/apps", operation: "ListApps", auth: "account", run: appRoutes.ListApps },
  { method: "GET", template: "/sys/v1/apps/{app_id}", operation: "GetApp", auth: "account", run: appRoutes.GetApp },
  { method: "PATCH", template: "/sys/v1/apps/{app_id}", operation: "UpdateApp", auth: "account", run: appRoutes.UpdateApp },
  { method: "DELETE", template: "/sys/v1/apps/{app_id}", operation: "DeleteApp", auth: "account", run: appRoutes.DeleteApp },
  { method: "GET", template: "/sys/v1/apps/{app_id}/credential", operation: "GetAppCredential", auth: "account", run: appRoutes.GetAppCredential },
  { method: "POST", template: "/crypto/v1/keys", operation: "CreateSobject", auth: "account", run: sobjectRoutes.CreateSobject },
  { method: "GET", template: "/crypto/v1/keys", operation: "ListSobjects", auth: "account", run: sobjectRoutes.ListSobjects },
  { method: "POST", template: "/crypto/v1/keys/info", operation: "GetSobject", auth: "account", run: sobjectRoutes.GetSobject },
  { method: "POST", template: "/crypto/v1/keys/rekey", operation: "RotateSobject", auth: "account", run: sobjectRoutes.RotateSobject },
  { method: "PATCH", template: "/crypto/v1/keys/{key_id}", operation: "UpdateSobject", auth: "account", run: sobjectRoutes.UpdateSobject },
  { method: "DELETE", template: "/crypto/v1/keys/{key_id}", operation: "DeleteSobject", auth: "account", run: sobjectRoutes.DeleteSobject },
  { method: "POST", template: "/crypto/v1/keys/{key_id}/revoke", operation: "RevokeSobject", auth: "account", run: sobjectRoutes.RevokeSobject },
  { method: "POST", template: "/crypto/v1/encrypt", operation: "Encrypt", auth: "account", run: cryptoRoutes.Encrypt },
  { method: "POST", template: "/crypto/v1/decrypt", operation: "Decrypt", auth: "account", run: cryptoRoutes.Decrypt },
];

/** The template as a regex; a literal segment wins over a variable (`/keys/info` over `/keys/{key_id}`). */
const COMPILED = MANAGEMENT_ROUTES.map((route) => ({
  route,
  names: [...route.template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]),
  regex: new RegExp(`^${route.template.replace(/\{[^}]+\}/g, "([^/]+)")}$`),
})).sort((a, b) => a.names.length - b.names.length);

/** Keys whose values are maps of data (group ids, metadata, key ids), where no field may be added. */
const DATA_MAPS = new Set(["groups", "add_groups", "mod_groups", "custom_metadata", "keys"]);

/** Adds DSM_EMULATOR_UNCONFIRMED.extraResponseField to every object of an answer, data maps excepted. */
export function withExtraFields(value: unknown, key = ""): unknown {
  if (Array.isArray(value)) return value.map((v) => withExtraFields(v));
  if (typeof value !== "object" || value === null || DATA_MAPS.has(key)) return value;
  const [name, text] = DSM_EMULATOR_UNCONFIRMED.extraResponseField;
  const out: Record<string, unknown> = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withExtraFields(v, k)]));
  out[name] = text;
  return out;
}

/** The answer as recorded: session tokens and app secrets left out. */
export function recordedAnswer(json: unknown): unknown {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return clone(json);
  const copy = clone(json) as Record<string, unknown>;
  if (typeof copy.access_token === "string") copy.access_token = "<redacted>";
  const credential = copy.credential as Record<string, unknown> | undefined;
  if (credential && typeof credential.secret === "string") credential.secret = "<redacted>";
  return copy;
}

/**
 * The route of a request with its path variables, or the refusal for it: 404 for a path no operation
 * has, 405 for a method the path does not serve (so `GET /crypto/v1/keys/{key_id}`, which the
 * document lacks, is a 405).
 */
export function findRoute(method: string, path: string): { route: Route; params: Record<string, string> } | { refusal: DsmError } {
  const onPath = COMPILED.map((c) => ({ ...c, match: c.regex.exec(path) })).filter((c) => c.match !== null);
  if (onPath.length === 0) return { refusal: new DsmError(404, `no such endpoint: ${method} ${path}`) };
  const found = onPath.find((c) => c.route.method === method);
  if (!found) return { refusal: new DsmError(405, `method ${method} not allowed on ${path}`) };
  return { route: found.route, params: Object.fromEntries(found.names.map((n, i) => [n, decodeURIComponent(found.match![i + 1])])) };
}
