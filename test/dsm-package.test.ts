// The DSM providers as another project sees them: the built package (package.json + dist/) installed
// in a scratch project's node_modules. Pulumi captures the package's own helper modules as
// require("oci-ekm-fortanix/dist/…"), so package.json must let those paths be required; the
// serialized provider must then load and work from that project (as the dynamic-provider host does).
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "..");
const scratches: string[] = [];

/** The exports map the package needs at least (the main entry, and the dist/ paths Pulumi captures). */
const RECOMMENDED_EXPORTS = {
  ".": { types: "./dist/index.d.ts", default: "./dist/index.js" },
  "./dist/*": "./dist/*",
  "./package.json": "./package.json",
};

const SERIALIZE = `const fs = require("fs");
const { serializeFunction } = require("@pulumi/pulumi/runtime");
const lib = require("oci-ekm-fortanix");
(async () => {
  const requires = new Set();
  for (const [kind, provider] of [["group", lib.dsmGroupProvider()], ["app", lib.dsmJwtAppProvider()], ["key", lib.dsmSecurityObjectProvider()]]) {
    const { text } = await serializeFunction(() => provider, { allowSecrets: true });
    fs.writeFileSync("serialized-" + kind + ".js", text);
    for (const m of text.matchAll(/require\\("([^"]+)"\\)/g)) requires.add(m[1]);
  }
  console.log(JSON.stringify([...requires].sort()));
})().catch((e) => { console.error(e); process.exit(1); });
`;

// Loads the serialized providers the way the dynamic-provider host does (a module evaluated in the
// project directory, then configure with the stack config) and runs them against a DSM emulator.
const DEPLOY = `const { DsmEmulator } = require("oci-ekm-fortanix");
(async () => {
  const dsm = new DsmEmulator();
  await dsm.start();
  const values = { "dsm:endpoint": dsm.url, "dsm:apiKey": dsm.createApiKey() };
  const config = { get: (k) => values[k], require: (k) => values[k] };
  const load = async (kind) => {
    const provider = require("./serialized-" + kind + ".js").handler();
    await provider.configure({ config });
    return provider;
  };
  const [groups, apps, keys] = [await load("group"), await load("app"), await load("key")];
  const group = await groups.create((await groups.check({}, { name: "pkg-group" })).inputs);
  const app = await apps.create((await apps.check({}, { name: "pkg-client", groupId: group.id, jwksUrl: "https://idcs-x.identity.oraclecloud.com/admin/v1/SigningCert/jwk" })).inputs);
  const key = await keys.create((await keys.check({}, { name: "pkg-key", groupId: group.id })).inputs);
  const read = await keys.read(key.id, key.outs);
  await keys.delete(key.id, key.outs);
  await dsm.stop();
  console.log(JSON.stringify({
    group: dsm.group("pkg-group")?.group_id === group.id,
    appAuthType: app.outs.authType,
    keyKid: read.props.kid === dsm.sobject("pkg-key").kid,
    keyEnabledAfterDelete: dsm.sobject("pkg-key").enabled,
  }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

/** A scratch project with the built package (package.json possibly changed) and its dependencies in node_modules. */
function scratchProject(packageJson: (pkg: Record<string, unknown>) => Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "oci-ekm-package-"));
  scratches.push(dir);
  const pkg = path.join(dir, "node_modules", "oci-ekm-fortanix");
  mkdirSync(pkg, { recursive: true });
  writeFileSync(path.join(pkg, "package.json"), JSON.stringify(packageJson(JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"))), null, 2));
  cpSync(path.join(root, "dist"), path.join(pkg, "dist"), { recursive: true });
  for (const entry of readdirSync(path.join(root, "node_modules"))) {
    if (entry.startsWith(".") || entry === "oci-ekm-fortanix") continue;
    symlinkSync(path.join(root, "node_modules", entry), path.join(dir, "node_modules", entry));
  }
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "scratch-stack", private: true }));
  writeFileSync(path.join(dir, "serialize.js"), SERIALIZE);
  writeFileSync(path.join(dir, "deploy.js"), DEPLOY);
  return dir;
}

function node(dir: string, script: string): unknown {
  const out = execFileSync(process.execPath, [script], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH ?? "" }, timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] });
  return JSON.parse(out.trim().split("\n").pop() ?? "null");
}

beforeAll(() => {
  if (!existsSync(path.join(root, "dist/index.js"))) throw new Error("dist/ is missing: run `npm run build` first");
});

afterAll(() => {
  for (const dir of scratches) rmSync(dir, { recursive: true, force: true });
});

describe.each([
  ["package.json as it is", (pkg: Record<string, unknown>) => pkg],
  ["package.json with the recommended exports map", (pkg: Record<string, unknown>) => ({ ...pkg, exports: RECOMMENDED_EXPORTS })],
])("installed package (%s)", (_label, transform) => {
  let dir = "";
  beforeAll(() => {
    dir = scratchProject(transform);
  });

  it("serialized providers capture the package's helpers as require('oci-ekm-fortanix/dist/dsm/…')", () => {
    expect(node(dir, "serialize.js")).toEqual([
      "@pulumi/pulumi/log/index.js",
      "oci-ekm-fortanix/dist/dsm/client.js",
      "oci-ekm-fortanix/dist/dsm/schemas.js",
    ]);
  });

  it("serialized providers load and work from the other project", () => {
    expect(node(dir, "deploy.js")).toEqual({ group: true, appAuthType: "SignedJwt", keyKid: true, keyEnabledAfterDelete: false });
  });
});
