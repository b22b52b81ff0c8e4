// The `__provider` of a DSM resource: the module text Pulumi's dynamic-provider host evaluates to
// get the provider. Pulumi's serializer writes it (`pulumi.runtime.serializeFunction`, as
// `pulumi.dynamic.Resource` does); when this library is not an installed package the serializer
// copies every function the provider reaches (60-70 KB per provider), and the engine keeps that
// text twice per resource (inputs and outputs). Above a threshold the text is therefore stored
// compressed, inside a bootstrap that restores and evaluates it exactly as the host would have.
// Size matters beyond the state file: a Create or Update that fails after DSM changed something
// returns its properties, `__provider` included, in a gRPC trailer, and the host (Node's HTTP/2)
// cannot send a header block above 64 KiB: the engine would lose the failure and the object.
import Module from "node:module";
import path from "node:path";
import { brotliCompressSync, brotliDecompressSync, constants } from "node:zlib";
import * as pulumi from "@pulumi/pulumi";
import { dsmPackageChangedSince, dsmProviderCacheKeyOf, readDsmProviderCache, writeDsmProviderCache } from "./provider-cache";

/** Serialized providers up to this size are stored as Pulumi wrote them (an installed package's are a few KB). */
export const DSM_PROVIDER_PACK_THRESHOLD = 16 * 1024;

const PACKED_MARK = "// oci-ekm-fortanix packed provider v1";

/**
 * The module text stored as `__provider`: `text` itself when small and nothing else is needed, else
 * a bootstrap carrying it brotli-compressed and base64-encoded. The bootstrap compiles the original
 * text as a module of its own, with the host's module paths (the program's `node_modules`), then
 * `libraryPaths`: relative to the program's directory, where the copied code's own dependencies are.
 */
export function dsmPackProvider(text: string, libraryPaths: readonly string[] = []): string {
  if (text.length <= DSM_PROVIDER_PACK_THRESHOLD && libraryPaths.length === 0) return text;
  // Quality 9, not brotli's best (11): about 10% larger, and 110 ms less per provider in every plan and up.
  const packed = brotliCompressSync(Buffer.from(text, "utf8"), {
    params: { [constants.BROTLI_PARAM_QUALITY]: 9, [constants.BROTLI_PARAM_SIZE_HINT]: text.length },
  }).toString("base64");
  return [
    PACKED_MARK,
    `const packed = ${JSON.stringify(packed)};`,
    "let provider;",
    "exports.handler = function () {",
    "  if (provider === undefined) {",
    '    const text = require("zlib").brotliDecompressSync(Buffer.from(packed, "base64")).toString("utf8");',
    '    const Module = require("module");',
    '    const filename = typeof module.filename === "string" ? module.filename : "";',
    "    const inner = new Module(filename);",
    "    inner.filename = filename;",
    "    const own = Array.isArray(module.paths) ? module.paths : Module._nodeModulePaths(process.cwd());",
    `    const library = ${JSON.stringify(libraryPaths)}.map((p) => require("path").resolve(process.cwd(), p));`,
    "    inner.paths = [...own, ...library.filter((p) => !own.includes(p))];",
    "    inner._compile(text, filename);",
    "    provider = inner.exports.handler;",
    "  }",
    "  return provider();",
    "};",
    "",
  ].join("\n");
}

/** The text Pulumi's serializer wrote, from a stored `__provider` (packed or not). */
export function dsmUnpackProvider(stored: string): string {
  if (!stored.startsWith(PACKED_MARK)) return stored;
  const m = /^const packed = ("[A-Za-z0-9+/=]*");$/m.exec(stored);
  if (!m) throw new Error("a packed DSM provider without its packed text");
  return brotliDecompressSync(Buffer.from(JSON.parse(m[1]) as string, "base64")).toString("utf8");
}

/**
 * Where this library's own dependencies are, relative to the program's directory, when Pulumi copies
 * its code by value (loaded from a checkout: `infra/` under ts-node, `dist/` by path, `npm link`,
 * `file:`). The copied code `require`s axios and zod by name, and the host resolves names from the
 * program's directory, whose `node_modules` need not have them; a checkout's own `node_modules`
 * does. Installed as a package (under a `node_modules` folder) nothing is needed: none.
 */
export function dsmLibraryModulePaths(libraryRoot: string = path.resolve(__dirname, "..", ".."), programDir: string = process.cwd()): string[] {
  if (libraryRoot.split(path.sep).includes("node_modules")) return [];
  const nodeModulePaths = (Module as unknown as { _nodeModulePaths(from: string): string[] })._nodeModulePaths(libraryRoot);
  return nodeModulePaths.map((p) => path.relative(programDir, p) || ".");
}

const modules = new WeakMap<object, Promise<string>>();
let cacheDir: string | undefined;

/**
 * Keeps serialized providers in `dir` between runs (provider-cache.ts), or stops (undefined).
 * Returns the directory used before, for the caller to restore.
 */
export function useDsmProviderCache(dir: string | undefined): string | undefined {
  const before = cacheDir;
  cacheDir = dir;
  return before;
}

/** Pulumi's serializer, through the cache when one is in use. */
async function serializedText(provider: object): Promise<string> {
  const packageRoot = path.resolve(__dirname, "..", "..");
  const dir = cacheDir !== undefined && !dsmPackageChangedSince(packageRoot, performance.timeOrigin) ? cacheDir : undefined;
  const key = dir === undefined ? undefined : dsmProviderCacheKeyOf(provider, packageRoot);
  if (dir !== undefined && key !== undefined) {
    const cached = readDsmProviderCache(dir, key);
    if (cached !== undefined) return cached;
  }
  const { text } = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: false });
  if (dir !== undefined && key !== undefined) writeDsmProviderCache(dir, key, text);
  return text;
}

/**
 * The `__provider` text of `provider`, serialized once per provider object (as
 * `pulumi.dynamic.Resource` caches it) and packed when large. A provider that captured a secret is
 * refused: credentials are read when a method runs, never held by the provider.
 */
export function dsmProviderText(provider: object): Promise<string> {
  let text = modules.get(provider);
  if (text === undefined) {
    text = serializedText(provider).then((serialized) => dsmPackProvider(serialized, dsmLibraryModulePaths()));
    modules.set(provider, text);
  }
  return text;
}

/** {@link dsmProviderText} as the `__provider` input of a resource. */
export function dsmProviderModule(provider: object): pulumi.Output<string> {
  return pulumi.output(dsmProviderText(provider));
}
