// How `npm run plan|sandbox|verify|bench` run scripts/*.ts: `node -r ./scripts/transpile-cache.cjs
// scripts/plan.ts`. Each of this repository's .ts modules is transpiled once, as ts-node would with
// this repository's settings (`"ts-node": { "transpileOnly": true }` in tsconfig.json: TypeScript's
// transpileModule with the tsconfig's compiler options), under the same file name, and kept in
// node_modules/.cache/oci-ekm-transpiled by the hash of its text, tsconfig.json and TypeScript's
// version. A run whose modules are all cached does not load TypeScript at all (about two seconds of
// CPU of the plan's six, on this project). A module that changed is transpiled again on the spot.
// Type errors are `npm test`'s business (tsc --noEmit), as they were under ts-node's transpileOnly.
// The test run fills the cache from its global setup (test/transpile-setup.mts), for the processes
// the tests start.
"use strict";
const { createHash } = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const CACHE = path.join(ROOT, "node_modules", ".cache", "oci-ekm-transpiled");

let compilerOptions;
let ts;
/** TypeScript and the compiler options of tsconfig.json, as ts-node reads them (loaded only on a miss). */
function typescript() {
  if (ts === undefined) {
    ts = require("typescript");
    const configFile = path.join(ROOT, "tsconfig.json");
    const parsed = ts.getParsedCommandLineOfConfigFile(configFile, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
    if (parsed === undefined) throw new Error(`cannot read ${configFile}`);
    // The package is CommonJS: a .ts module compiles to CommonJS under "module": "nodenext", as ts-node runs it.
    compilerOptions = { ...parsed.options, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, declaration: false, sourceMap: false, inlineSourceMap: true, inlineSources: false, noEmit: false };
  }
  return ts;
}

let settings;
/** What else the JavaScript depends on: tsconfig.json's text and TypeScript's version (read without loading TypeScript). */
function transpileSettings() {
  if (settings === undefined) {
    const read = (file) => {
      try {
        return fs.readFileSync(file, "utf8");
      } catch {
        return "";
      }
    };
    settings = `${read(path.join(ROOT, "tsconfig.json"))}\0${read(require.resolve("typescript/package.json", { paths: [ROOT] }))}`;
  }
  return settings;
}

function cacheFile(filename, source) {
  const hash = createHash("sha256").update(transpileSettings()).update("\0").update(source).digest("hex").slice(0, 16);
  return path.join(CACHE, `${path.relative(ROOT, filename).replace(/[\\/]/g, "__")}.${hash}.js`);
}

/** The JavaScript of `filename` (whose text is `source`), from the cache or transpiled now and cached. */
function transpiled(filename, source) {
  const cached = cacheFile(filename, source);
  try {
    return fs.readFileSync(cached, "utf8");
  } catch {
    // Not cached yet.
  }
  const t = typescript();
  const output = t.transpileModule(source, { fileName: filename, compilerOptions, reportDiagnostics: false }).outputText;
  // Written aside then renamed: processes started side by side never read a partial file. A cache
  // that cannot be written (a read-only node_modules) costs a transpilation next time, nothing more.
  const temp = `${cached}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(CACHE, { recursive: true });
    fs.writeFileSync(temp, output);
    fs.renameSync(temp, cached);
  } catch {
    try {
      fs.rmSync(temp, { force: true });
    } catch {
      // Nothing was written.
    }
  }
  return output;
}

/** Transpiles every .ts module under `dirs` (relative to the repository) into the cache. */
function transpileAll(dirs) {
  let count = 0;
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const at = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(at);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
        transpiled(at, fs.readFileSync(at, "utf8"));
        count += 1;
      }
    }
  };
  for (const dir of dirs) walk(path.join(ROOT, dir));
  return count;
}

/** Serves `require()` of this repository's .ts modules (not node_modules) from the cache. */
function register() {
  const previous = require.extensions[".ts"];
  require.extensions[".ts"] = function (module, filename) {
    if (filename.includes(`${path.sep}node_modules${path.sep}`) || !filename.startsWith(ROOT + path.sep)) {
      if (previous) return previous(module, filename);
      throw new Error(`${filename}: not a module of this repository`);
    }
    module._compile(transpiled(filename, fs.readFileSync(filename, "utf8")), filename);
  };
}

module.exports = { transpileAll, register, CACHE };

// Preloaded with `node -r`: install the hook.
if (module.parent !== null && module.parent !== undefined && module.parent.id === "internal/preload") register();
