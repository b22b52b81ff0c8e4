// The DSM emulator's store, shared by the modules that serve each part of the API (sessions, groups,
// apps, security objects, EKM): the records, who is asking (principals and what they may see), the
// error every route throws, and the reply every route returns. It imports no route module, so no
// route module imports another through it.
import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type {
  DsmEmulatorApp,
  DsmEmulatorAppCredential,
  DsmEmulatorCounters,
  DsmEmulatorCreator,
  DsmEmulatorEkmVaultState,
  DsmEmulatorGroup,
  DsmEmulatorOptions,
  DsmEmulatorSobject,
} from "./dsm-types";
import { DSM_EMULATOR_UNCONFIRMED } from "./dsm-unconfirmed";

/** A refusal of the management API: answered with `status` and the message in the configured error form. */
export class DsmError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** A reply computed by a route, written (or dropped by a fault) by the dispatcher. */
export interface DsmEmulatorReply {
  status: number;
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

export interface AppRecord {
  /** The App object as the API answers it (no credential). */
  app: DsmEmulatorApp;
  /** Signed-JWT apps: served by `GET /sys/v1/apps/{app_id}/credential` only. */
  credential?: DsmEmulatorAppCredential;
  /** API-key apps: the secret half of the API key. */
  secret?: string;
}

export interface SobjectRecord {
  sobject: DsmEmulatorSobject;
  material: Buffer;
}

export interface UserRecord {
  user_id: string;
  email: string;
  password: string;
  /** The user has a FIDO2 device: a password login needs a second factor. */
  twoFactor: boolean;
}

export type Principal = { kind: "app"; appId: string } | { kind: "user"; userId: string } | { kind: "emulator" };

export interface Session {
  principal: Principal;
  expiresAt: number;
  /** When the selected account takes effect (epoch ms); unset until `select_account`. Apps need none. */
  accountSelectedFrom?: number;
  /** A two-factor user's session before the second factor: good for nothing. */
  secondFactorPending: boolean;
}

/** One management request, as the dispatcher hands it to a route. */
export interface RouteContext {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  headers: IncomingHttpHeaders;
  /** Path variables of the matched template, decoded, e.g. `{ app_id: "…" }`. */
  params: Record<string, string>;
  /** Who is asking (the emulator itself for seeds). */
  principal: Principal;
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The creator of objects made by the emulator's own seed methods ("someone in the console"). */
export const EMULATOR_PRINCIPAL_ID = "00000000-0000-0000-0000-000000000000";

/** `YYYYMMDDTHHMMSSZ`, DSM's timestamp format. */
export function dsmTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "Z");
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

/** The store and the questions every route asks of it. */
export class DsmState {
  readonly groups = new Map<string, DsmEmulatorGroup>();
  readonly apps = new Map<string, AppRecord>();
  readonly sobjects = new Map<string, SobjectRecord>();
  /** Deleted security objects that reads still show, until `visibleUntil` (epoch ms). */
  readonly deletedSobjects = new Map<string, { record: SobjectRecord; visibleUntil: number }>();
  readonly users = new Map<string, UserRecord>();
  readonly sessions = new Map<string, Session>();
  readonly stats: DsmEmulatorCounters = {
    sessionAuthentications: 0,
    failedAuthentications: 0,
    basicAuthCalls: 0,
    accountSelections: 0,
    sessionTerminations: 0,
  };
  ekmVaultState: DsmEmulatorEkmVaultState;

  constructor(
    readonly accountId: string,
    readonly options: DsmEmulatorOptions,
  ) {
    this.ekmVaultState = options.ekmVaultState ?? "ACTIVE";
  }

  now(): number {
    return this.options.now ? this.options.now() : Date.now();
  }

  newId(): string {
    return randomUUID();
  }

  // ---- lookups ---------------------------------------------------------------------------------

  findApp(idOrName: string, byNameOnly: boolean): AppRecord | undefined {
    if (!byNameOnly) {
      const byId = this.apps.get(idOrName);
      if (byId) return byId;
    }
    return [...this.apps.values()].find((r) => r.app.name === idOrName);
  }

  appOr404(id: string): AppRecord {
    const r = this.apps.get(id);
    if (!r) throw new DsmError(404, "app does not exist");
    return r;
  }

  groupOr404(id: string): DsmEmulatorGroup {
    const g = this.groups.get(id);
    if (!g) throw new DsmError(404, "group does not exist");
    return g;
  }

  /** A live security object by name (the EKM endpoints and the test API see no deleted ones). */
  findSobjectByName(name: string): SobjectRecord | undefined {
    return [...this.sobjects.values()].find((r) => r.sobject.name === name);
  }

  findSobject(kidOrName: string): SobjectRecord | undefined {
    return this.sobjects.get(kidOrName) ?? this.findSobjectByName(kidOrName);
  }

  /** What reads show: live objects, then deleted ones still visible (see `deletedSobjectVisibleMs`). */
  readableSobjects(): SobjectRecord[] {
    const now = this.now();
    for (const [kid, d] of this.deletedSobjects) if (d.visibleUntil <= now) this.deletedSobjects.delete(kid);
    return [...this.sobjects.values(), ...[...this.deletedSobjects.values()].map((d) => d.record)];
  }

  /** A name is taken while a live or a still-visible deleted object carries it. */
  sobjectNameTaken(name: string): boolean {
    return this.readableSobjects().some((r) => r.sobject.name === name);
  }

  /** Deletes through the API: the object is gone for writes at once, for reads after the visibility window. */
  deleteSobjectEventually(kid: string): void {
    const r = this.sobjects.get(kid);
    if (!r) return;
    this.sobjects.delete(kid);
    const ms = this.options.deletedSobjectVisibleMs ?? DSM_EMULATOR_UNCONFIRMED.deletedSobjectVisibleMs;
    if (ms > 0) this.deletedSobjects.set(kid, { record: r, visibleUntil: this.now() + ms });
  }

  // ---- principals ------------------------------------------------------------------------------

  appOf(principal: Principal): DsmEmulatorApp | undefined {
    return principal.kind === "app" ? this.apps.get(principal.appId)?.app : undefined;
  }

  /** Users (account administrators), admin apps and the emulator manage; crypto apps do not. */
  isManager(principal: Principal): boolean {
    const app = this.appOf(principal);
    return app === undefined ? true : app.role === "admin";
  }

  requireManager(principal: Principal, what: string): void {
    if (!this.isManager(principal)) throw new DsmError(403, `insufficient permissions: a crypto app cannot ${what} (use an administrative app or a user)`);
  }

  /** The groups a crypto app belongs to; undefined for everyone who sees every group. */
  memberGroups(principal: Principal): Set<string> | undefined {
    const app = this.appOf(principal);
    if (!app || app.role === "admin") return undefined;
    return new Set(Object.keys(app.groups));
  }

  canSeeSobject(r: SobjectRecord, principal: Principal): boolean {
    const member = this.memberGroups(principal);
    return !member || member.has(r.sobject.group_id);
  }

  creatorOf(principal: Principal): DsmEmulatorCreator {
    if (principal.kind === "app") return { app: principal.appId };
    return { user: principal.kind === "user" ? principal.userId : EMULATOR_PRINCIPAL_ID };
  }

  // ---- removals that touch several kinds of record ----------------------------------------------

  /** Removes a group and every app's membership in it (moving `default_group` to another group). */
  removeGroup(id: string): void {
    this.groups.delete(id);
    for (const { app } of this.apps.values()) {
      if (!(id in app.groups)) continue;
      delete app.groups[id];
      if (app.default_group === id) {
        const next = Object.keys(app.groups)[0];
        if (next) app.default_group = next;
        else delete app.default_group;
      }
    }
  }

  /** Removes an app and ends its sessions. */
  removeApp(id: string): void {
    this.apps.delete(id);
    for (const [token, s] of this.sessions) if (s.principal.kind === "app" && s.principal.appId === id) this.sessions.delete(token);
  }
}
