// Serialized DSM providers kept between runs. Pulumi's serializer opens an inspector session and
// walks every function a provider reaches: about a second of CPU per process for the three DSM
// providers, a third of an offline plan (npm run plan) and of every sandbox or test process that runs
// the stack. Its output depends only on the code it walks and on the serializer itself (the DSM
// providers keep no state of their own: see provider-common.ts), so a text serialized once is the
// text every later run would write, as long as none of that has changed. The key therefore covers
// the provider's class and the module file it was loaded from (and the loader of a .ts file: ts-node
// and the scripts' transpiler write different JavaScript), Node, the @pulumi/pulumi that serializes,
// the working directory, every byte of this package's code (dist/ and components/, whichever exist)
// and the dependencies npm installed: any edit, build, install or upgrade makes a new key and the
// provider is serialized afresh. A process whose package files changed after it started does not
// use the cache at all (it may have loaded the code from before the change). Only the tools turn the cache on (the
// offline plan, the sandbox and the test helpers, through runStackInProcess): a stack run by the
// Pulumi CLI always serializes its providers itself.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

/** Bumped when what a cached file holds changes meaning. */
const CACHE_FORMAT = "oci-ekm-fortanix serialized provider v1";

/** Where the cache lives for a program run in `cwd`: beside its other caches, when it has a node_modules folder. */
export function defaultDsmProviderCacheDir(cwd: string = process.cwd()): string | undefined {
  const nodeModules = path.join(cwd, "node_modules");
  return existsSync(nodeModules) ? path.join(nodeModules, ".cache", "oci-ekm-fortanix-providers") : undefined;
}

/** The code files under `dir` (recursively, without node_modules), by path relative to `dir`, sorted. */
function codeFiles(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = path.join(prefix, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules") out.push(...codeFiles(dir, rel));
    } else if (/\.(c|m)?[jt]s$/.test(entry.name) && !entry.name.endsWith(".d.ts")) {
      out.push(rel);
    }
  }
  return out.sort();
}

/** What the cache knows of a package's code: a digest of it, and when a file of it last changed. */
interface PackageCode {
  digest: string;
  newestChangeMs: number;
}

const packageCodes = new Map<string, PackageCode>();

function packageCode(packageRoot: string): PackageCode {
  let code = packageCodes.get(packageRoot);
  if (code === undefined) {
    const hash = createHash("sha256");
    let newestChangeMs = 0;
    for (const tree of ["dist", "components"]) {
      const dir = path.join(packageRoot, tree);
      if (!existsSync(dir)) continue;
      for (const file of codeFiles(dir)) {
        const at = path.join(dir, file);
        hash.update(`${tree}/${file}\0`).update(readFileSync(at)).update("\0");
        newestChangeMs = Math.max(newestChangeMs, statSync(at).mtimeMs);
      }
    }
    code = { digest: hash.digest("hex"), newestChangeMs };
    packageCodes.set(packageRoot, code);
  }
  return code;
}

/** A digest of every code file of the package at `packageRoot` (its dist/ and components/), once per process. */
export function dsmPackageCodeDigest(packageRoot: string): string {
  return packageCode(packageRoot).digest;
}

/**
 * Whether a code file of the package changed after `sinceMs` (epoch ms; the process's start). Then
 * the code this process loaded may not be the code on disk, whose digest the key would carry: the
 * cache is not used at all, neither read nor written.
 */
export function dsmPackageChangedSince(packageRoot: string, sinceMs: number): boolean {
  return packageCode(packageRoot).newestChangeMs >= sinceMs;
}

const lockDigests = new Map<string, string>();

/**
 * A digest of the dependencies installed for `dirs` (npm's `node_modules/.package-lock.json` of each):
 * the serialized code `require`s them by their files' paths (`axios/dist/node/axios.cjs`), which an
 * upgrade may move.
 */
export function dsmInstalledDependenciesDigest(dirs: readonly string[]): string {
  const key = dirs.join("\0");
  let digest = lockDigests.get(key);
  if (digest === undefined) {
    const hash = createHash("sha256");
    for (const dir of new Set(dirs)) {
      let lock = "";
      try {
        lock = readFileSync(path.join(dir, "node_modules", ".package-lock.json"), "utf8");
      } catch {
        // Not installed by npm (or no node_modules): nothing to add.
      }
      hash.update(`${dir}\0${lock}\0`);
    }
    digest = hash.digest("hex");
    lockDigests.set(key, digest);
  }
  return digest;
}

/**
 * The file of the loaded module that exports `provider`'s class, under `packageRoot`, or undefined
 * (then nothing is cached). Only own data properties are compared: a getter may load a module.
 */
export function dsmProviderModuleFile(provider: object, packageRoot: string): string | undefined {
  const inside = packageRoot + path.sep;
  for (const loaded of Object.values(require.cache)) {
    if (loaded === undefined || !loaded.filename.startsWith(inside) || loaded.filename.slice(inside.length).split(path.sep).includes("node_modules")) continue;
    const exported: unknown = loaded.exports;
    if (typeof exported !== "object" || exported === null) continue;
    for (const property of Object.values(Object.getOwnPropertyDescriptors(exported))) {
      if ("value" in property && property.value === provider.constructor) return loaded.filename;
    }
  }
  return undefined;
}

/** A digest of the function that loads files like `file` (none for .js: Node's own). */
function loaderDigest(file: string): string {
  const extension = path.extname(file);
  if (extension === ".js") return "node";
  const loader = (require.extensions as Record<string, unknown>)[extension];
  return createHash("sha256").update(String(loader)).digest("hex");
}

/** What a serialized provider depends on besides the code: the serializer and where it runs. */
export interface DsmProviderCacheContext {
  /** The package whose code the provider is (its dist/ and components/ are hashed). */
  packageRoot: string;
  /** The module file that exports the provider's class ({@link dsmProviderModuleFile}). */
  providerModule: string;
  /** The @pulumi/pulumi that serializes: its version and where it is installed. */
  sdkVersion: string;
  sdkDir: string;
  /** The working directory (the serializer names some modules relative to it). Default `process.cwd()`. */
  cwd?: string;
  /** {@link dsmInstalledDependenciesDigest} of the working directory and the package. */
  dependencies: string;
}

/** The cache key of `provider`'s serialized text. */
export function dsmProviderCacheKey(provider: object, context: DsmProviderCacheContext): string {
  return createHash("sha256")
    .update(JSON.stringify([
      CACHE_FORMAT,
      provider.constructor.name,
      context.providerModule,
      loaderDigest(context.providerModule),
      process.version,
      context.sdkVersion,
      context.sdkDir,
      context.cwd ?? process.cwd(),
      context.packageRoot,
      dsmPackageCodeDigest(context.packageRoot),
      context.dependencies,
    ]))
    .digest("hex");
}

let serializer: { version: string; dir: string } | undefined;

/** The @pulumi/pulumi that serializes (the one this module resolves, as provider-module.ts does): read once per process. */
function serializerSdk(): { version: string; dir: string } {
  if (serializer === undefined) {
    const sdkPackage = createRequire(__filename).resolve("@pulumi/pulumi/package.json");
    serializer = { version: (JSON.parse(readFileSync(sdkPackage, "utf8")) as { version: string }).version, dir: path.dirname(sdkPackage) };
  }
  return serializer;
}

/**
 * The cache key of `provider`'s text as this process would serialize it, for the package at
 * `packageRoot`; undefined when the provider's class is not loaded from that package (nothing is cached).
 */
export function dsmProviderCacheKeyOf(provider: object, packageRoot: string): string | undefined {
  const providerModule = dsmProviderModuleFile(provider, packageRoot);
  if (providerModule === undefined) return undefined;
  const sdk = serializerSdk();
  const dependencies = dsmInstalledDependenciesDigest([process.cwd(), packageRoot]);
  return dsmProviderCacheKey(provider, { packageRoot, providerModule, sdkVersion: sdk.version, sdkDir: sdk.dir, dependencies });
}

// Each file starts with the SHA-256 of the text after it: a file cut short (a full disk, a crash
// between write and rename elsewhere) is never served.
const HEADER = /^\/\/ sha256:([0-9a-f]{64})\n/;

/** The cached text under `key`, or undefined (none yet, unreadable or damaged: then the provider is serialized again). */
export function readDsmProviderCache(dir: string, key: string): string | undefined {
  let stored: string;
  try {
    stored = readFileSync(path.join(dir, `${key}.js`), "utf8");
  } catch {
    return undefined;
  }
  const header = HEADER.exec(stored);
  if (header === null) return undefined;
  const text = stored.slice(header[0].length);
  return createHash("sha256").update(text).digest("hex") === header[1] ? text : undefined;
}

/** Entries older than this are removed when a new one is written: each edit of the code adds three. */
export const DSM_PROVIDER_CACHE_MAX_AGE_MS = 30 * 24 * 3600 * 1000;
/** A partial file this old belongs to a writer that died. */
const PARTIAL_MAX_AGE_MS = 10 * 60 * 1000;

function prune(dir: string, now: number): void {
  for (const name of readdirSync(dir)) {
    const at = path.join(dir, name);
    try {
      const age = now - statSync(at).mtimeMs;
      if ((name.endsWith(".partial") && age > PARTIAL_MAX_AGE_MS) || (name.endsWith(".js") && age > DSM_PROVIDER_CACHE_MAX_AGE_MS)) rmSync(at, { force: true });
    } catch {
      // Removed by another process meanwhile.
    }
  }
}

/**
 * Stores `text` under `key`, and removes entries older than {@link DSM_PROVIDER_CACHE_MAX_AGE_MS}.
 * Written to a file of its own and renamed into place, so that processes running side by side never
 * read half a file. A cache that cannot be written is no error: the next run serializes again.
 */
export function writeDsmProviderCache(dir: string, key: string, text: string): void {
  const partial = path.join(dir, `${key}.${process.pid}.${Date.now()}.partial`);
  try {
    mkdirSync(dir, { recursive: true });
    prune(dir, Date.now());
    writeFileSync(partial, `// sha256:${createHash("sha256").update(text).digest("hex")}\n${text}`);
    renameSync(partial, path.join(dir, `${key}.js`));
  } catch {
    // Read-only or full: serialize next time.
    try {
      rmSync(partial, { force: true });
    } catch {
      // Nothing was written.
    }
  }
}
