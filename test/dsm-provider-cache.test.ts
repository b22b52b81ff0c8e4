// Serialized DSM providers kept between runs (components/dsm/provider-cache.ts): a cached text is
// exactly what Pulumi's serializer writes, any change of code, provider, SDK, dependencies or place
// makes a new key, and a cache that cannot be read, is damaged or cannot be written only costs a new
// serialization.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { DsmGroupProvider, DsmJwtAppProvider, DsmSecurityObjectProvider } from "../components/dsm/provider";
import {
  DSM_PROVIDER_CACHE_MAX_AGE_MS,
  type DsmProviderCacheContext,
  defaultDsmProviderCacheDir,
  dsmInstalledDependenciesDigest,
  dsmPackageChangedSince,
  dsmPackageCodeDigest,
  dsmProviderCacheKey,
  dsmProviderCacheKeyOf,
  dsmProviderModuleFile,
  readDsmProviderCache,
  writeDsmProviderCache,
} from "../components/dsm/provider-cache";
import { dsmProviderText, dsmUnpackProvider, useDsmProviderCache } from "../components/dsm/provider-module";
import { runStackInProcess } from "../components/plan";

const scratch = mkdtempSync(path.join(tmpdir(), "oci-ekm-provider-cache-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
afterEach(() => {
  useDsmProviderCache(undefined);
});

/** A package root with a dist/ of its own, for the key's digest. */
function fakePackage(name: string, files: Record<string, string>): string {
  const root = path.join(scratch, name);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return root;
}

describe("the cache key of a serialized provider", () => {
  const base = fakePackage("pkg", { "dist/dsm/provider.js": "exports.a = 1;\n", "dist/index.d.ts": "export {};\n", "components/dsm/provider.ts": "export const a = 1;\n" });
  const context: DsmProviderCacheContext = { packageRoot: base, providerModule: path.join(base, "dist/dsm/provider.js"), sdkVersion: "3.248.0", sdkDir: "/x/node_modules/@pulumi/pulumi", cwd: "/project", dependencies: "d1" };
  const group = new DsmGroupProvider();
  const key = dsmProviderCacheKey(group, context);

  it("is the same for the same provider class, code, SDK and place, and differs per provider class", () => {
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(dsmProviderCacheKey(new DsmGroupProvider(), context)).toBe(key);
    expect(dsmProviderCacheKey(new DsmJwtAppProvider(), context)).not.toBe(key);
    expect(dsmProviderCacheKey(new DsmSecurityObjectProvider(), context)).not.toBe(key);
  });

  it("changes with the SDK's version or place, the working directory, the package's place and the provider's module file", () => {
    expect(dsmProviderCacheKey(group, { ...context, providerModule: path.join(base, "components/dsm/provider.ts") })).not.toBe(key);
    expect(dsmProviderCacheKey(group, { ...context, sdkVersion: "3.249.0" })).not.toBe(key);
    expect(dsmProviderCacheKey(group, { ...context, sdkDir: "/y/node_modules/@pulumi/pulumi" })).not.toBe(key);
    expect(dsmProviderCacheKey(group, { ...context, cwd: "/other" })).not.toBe(key);
    expect(dsmProviderCacheKey(group, { ...context, dependencies: "d2" })).not.toBe(key);
    const copy = fakePackage("pkg-copy", { "dist/dsm/provider.js": "exports.a = 1;\n", "dist/index.d.ts": "export {};\n", "components/dsm/provider.ts": "export const a = 1;\n" });
    expect(dsmPackageCodeDigest(copy)).toBe(dsmPackageCodeDigest(base));
    expect(dsmProviderCacheKey(group, { ...context, packageRoot: copy })).not.toBe(key);
  });

  it("digests every code file of dist/ and components/, and no declaration file", () => {
    const digest = (files: Record<string, string>, name: string) => dsmPackageCodeDigest(fakePackage(name, files));
    const same = { "dist/dsm/provider.js": "exports.a = 1;\n", "components/dsm/provider.ts": "export const a = 1;\n" };
    const reference = digest(same, "d0");
    expect(digest({ ...same, "dist/index.d.ts": "export declare const b: 2;\n" }, "d1")).toBe(reference);
    expect(digest({ ...same, "dist/dsm/provider.js": "exports.a = 2;\n" }, "d2")).not.toBe(reference);
    expect(digest({ ...same, "components/dsm/provider.ts": "export const a = 2;\n" }, "d3")).not.toBe(reference);
    expect(digest({ ...same, "dist/dsm/other.js": "" }, "d4")).not.toBe(reference);
    expect(digest({ ...same, "dist/node_modules/x/index.js": "anything" }, "d5")).toBe(reference);
  });
});

describe("what else the key and the cache's use depend on", () => {
  it("the dependencies npm installed: a digest of node_modules/.package-lock.json in each folder, none counted as empty", () => {
    const a = fakePackage("deps-a", { "node_modules/.package-lock.json": '{"packages":{"node_modules/axios":{"version":"1.21.1"}}}' });
    const b = fakePackage("deps-b", { "node_modules/.package-lock.json": '{"packages":{"node_modules/axios":{"version":"1.22.0"}}}' });
    const none = path.join(scratch, "deps-none");
    expect(dsmInstalledDependenciesDigest([a])).toMatch(/^[0-9a-f]{64}$/);
    expect(dsmInstalledDependenciesDigest([b])).not.toBe(dsmInstalledDependenciesDigest([a]));
    expect(dsmInstalledDependenciesDigest([a, none])).not.toBe(dsmInstalledDependenciesDigest([a]));
    expect(dsmInstalledDependenciesDigest([a, a])).toBe(dsmInstalledDependenciesDigest([a]));
  });

  it("a package file changed after the process started turns the cache off: the loaded code may be the older", () => {
    const root = fakePackage("changed", { "dist/dsm/provider.js": "exports.a = 1;\n" });
    const written = statSync(path.join(root, "dist/dsm/provider.js")).mtimeMs;
    expect(dsmPackageChangedSince(root, written - 60_000)).toBe(true);
    expect(dsmPackageChangedSince(root, written + 60_000)).toBe(false);
  });
});

describe("the module a provider's class comes from", () => {
  it("is the loaded file that exports the class, inside the package; outside it, none (nothing is cached)", () => {
    const root = path.resolve(__dirname, "..");
    // The tests load the DSM providers compiled (test/vitest.config.mts).
    expect(dsmProviderModuleFile(new DsmGroupProvider(), root)).toBe(path.join(root, "dist/dsm/provider.js"));
    expect(dsmProviderModuleFile(new DsmGroupProvider(), path.join(scratch, "pkg"))).toBeUndefined();
    class Elsewhere {}
    expect(dsmProviderModuleFile(new Elsewhere(), root)).toBeUndefined();
  });
});

describe("the cache's files", () => {
  it("round-trips a text, leaves no partial file, and answers undefined for a key it does not hold", () => {
    const dir = path.join(scratch, "files", "providers");
    writeDsmProviderCache(dir, "k1", "exports.handler = 1;\n");
    expect(readDsmProviderCache(dir, "k1")).toBe("exports.handler = 1;\n");
    expect(readDsmProviderCache(dir, "k2")).toBeUndefined();
    expect(readdirSync(dir)).toEqual(["k1.js"]);
  });

  it("never serves a file cut short or without its digest", () => {
    const dir = path.join(scratch, "damaged");
    writeDsmProviderCache(dir, "k", "exports.handler = () => 'a provider';\n");
    const file = path.join(dir, "k.js");
    const whole = readFileSync(file, "utf8");
    expect(whole).toMatch(/^\/\/ sha256:[0-9a-f]{64}\nexports\.handler/);
    writeFileSync(file, whole.slice(0, whole.length - 5));
    expect(readDsmProviderCache(dir, "k")).toBeUndefined();
    writeFileSync(file, "exports.handler = () => 'a provider';\n");
    expect(readDsmProviderCache(dir, "k")).toBeUndefined();
  });

  it("removes entries older than 30 days and partial files of writers gone for 10 minutes when it writes", () => {
    const dir = path.join(scratch, "pruned");
    writeDsmProviderCache(dir, "old", "1");
    writeDsmProviderCache(dir, "recent", "2");
    writeFileSync(path.join(dir, "dead.1.2.partial"), "half");
    writeFileSync(path.join(dir, "live.3.4.partial"), "half");
    const ago = (ms: number) => new Date(Date.now() - ms);
    utimesSync(path.join(dir, "old.js"), ago(DSM_PROVIDER_CACHE_MAX_AGE_MS + 60_000), ago(DSM_PROVIDER_CACHE_MAX_AGE_MS + 60_000));
    utimesSync(path.join(dir, "recent.js"), ago(DSM_PROVIDER_CACHE_MAX_AGE_MS - 60_000), ago(DSM_PROVIDER_CACHE_MAX_AGE_MS - 60_000));
    utimesSync(path.join(dir, "dead.1.2.partial"), ago(11 * 60_000), ago(11 * 60_000));
    writeDsmProviderCache(dir, "new", "3");
    expect(readdirSync(dir).sort()).toEqual(["live.3.4.partial", "new.js", "recent.js"]);
  });

  it("is no error when it cannot be written: nothing is stored and the next run serializes again", () => {
    const blocked = path.join(scratch, "blocked");
    writeFileSync(blocked, "a file, not a directory");
    expect(() => writeDsmProviderCache(path.join(blocked, "providers"), "k", "text")).not.toThrow();
    expect(readDsmProviderCache(path.join(blocked, "providers"), "k")).toBeUndefined();
    if (process.getuid?.() !== 0) {
      const readOnly = path.join(scratch, "read-only");
      mkdirSync(readOnly);
      chmodSync(readOnly, 0o500);
      expect(() => writeDsmProviderCache(readOnly, "k", "text")).not.toThrow();
      expect(readdirSync(readOnly)).toEqual([]);
    }
  });

  it("lives under the working directory's node_modules, and nowhere when there is none", () => {
    const project = fakePackage("project", { "node_modules/.package-lock.json": "{}" });
    expect(defaultDsmProviderCacheDir(project)).toBe(path.join(project, "node_modules", ".cache", "oci-ekm-fortanix-providers"));
    expect(defaultDsmProviderCacheDir(path.join(scratch, "no-such-project"))).toBeUndefined();
  });
});

describe("dsmProviderText with the cache", () => {
  it("stores exactly what Pulumi's serializer writes, and a later process takes the stored text instead of serializing", async () => {
    const dir = path.join(scratch, "text");
    useDsmProviderCache(dir);
    // A provider object of its own: dsmProviderText keeps one text per object in memory.
    const provider = new DsmSecurityObjectProvider();
    const stored = await dsmProviderText(provider);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    const key = files[0].replace(/\.js$/, "");
    expect(key).toBe(dsmProviderCacheKeyOf(provider, path.resolve(__dirname, "..")));
    const cached = readDsmProviderCache(dir, key);
    expect(dsmUnpackProvider(stored)).toBe(cached);
    const fresh = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: false });
    expect(cached).toBe(fresh.text);

    // What another process finds under the same key is what it uses: shown with a stand-in text.
    writeDsmProviderCache(dir, key, "exports.handler = () => 'from the cache';\n");
    expect(dsmUnpackProvider(await dsmProviderText(new DsmSecurityObjectProvider()))).toBe("exports.handler = () => 'from the cache';\n");
    // Without the cache, the serializer runs.
    useDsmProviderCache(undefined);
    expect(dsmUnpackProvider(await dsmProviderText(new DsmSecurityObjectProvider()))).toBe(fresh.text);
  });

  it("runStackInProcess turns it on for its run only, at the directory it is given, and off with false", async () => {
    const inForce = (): string | undefined => {
      const dir = useDsmProviderCache(undefined);
      useDsmProviderCache(dir);
      return dir;
    };
    const seen: (string | undefined)[] = [];
    const program = () => {
      seen.push(inForce());
      return {};
    };
    const dir = path.join(scratch, "stack");
    await runStackInProcess({ program, providerCache: dir });
    expect(inForce()).toBeUndefined();
    await runStackInProcess({ program, providerCache: false });
    expect(seen).toEqual([dir, undefined]);
  });
});
