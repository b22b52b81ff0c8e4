// Serialized DSM providers kept between runs. Pulumi's serializer opens an inspector session and
// walks every function a provider reaches: about a second of CPU per process for the three DSM
// providers, a third of an offline plan (npm run plan) and of every sandbox or test process that runs
// the stack. Its output depends only on the code it walks and on the serializer itself (the DSM
// providers keep no state of their own: see provider-common.ts), so a text serialized once is the
// text every later run would write, as long as none of that has changed. The key therefore covers
// the provider's class and the module file it was loaded from (and the loader of a .ts file: ts-node
// and the scripts' transpiler write different JavaScript), Node, the @pulumi/pulumi that serializes,
// the working directory, and every byte of this package's code (dist/ and components/, whichever
// exist): any edit, build or upgrade makes a new key and the provider is serialized afresh. Only the tools turn the cache on (the
// offline plan, the sandbox and the test helpers, through runStackInProcess): a stack run by the
// Pulumi CLI always serializes its providers itself.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
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

const packageDigests = new Map<string, string>();

/** A digest of every code file of the package at `packageRoot` (its dist/ and components/), once per process. */
export function dsmPackageCodeDigest(packageRoot: string): string {
  let digest = packageDigests.get(packageRoot);
  if (digest === undefined) {
    const hash = createHash("sha256");
    for (const tree of ["dist", "components"]) {
      const dir = path.join(packageRoot, tree);
      if (!existsSync(dir)) continue;
      for (const file of codeFiles(dir)) hash.update(`${tree}/${file}\0`).update(readFileSync(path.join(dir, file))).update("\0");
    }
    digest = hash.digest("hex");
    packageDigests.set(packageRoot, digest);
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
    ]))
    .digest("hex");
}

/** The cached text under `key`, or undefined (none yet, or unreadable: then the provider is serialized again). */
export function readDsmProviderCache(dir: string, key: string): string | undefined {
  try {
    return readFileSync(path.join(dir, `${key}.js`), "utf8");
  } catch {
    return undefined;
  }
}

/**
 * Stores `text` under `key`. Written to a file of its own and renamed into place, so that processes
 * running side by side never read half a file. A cache that cannot be written is no error: the next
 * run serializes again.
 */
export function writeDsmProviderCache(dir: string, key: string, text: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    const partial = path.join(dir, `${key}.${process.pid}.${Date.now()}.partial`);
    writeFileSync(partial, text);
    renameSync(partial, path.join(dir, `${key}.js`));
  } catch {
    // Read-only or full: serialize next time.
  }
}
