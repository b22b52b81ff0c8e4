// The sandbox runs the real components: change one wiring fact in them and it must fail, exactly
// where OCI would: as OCI creates the vault, its first call to the key manager.
import { afterEach, describe, expect, it, vi } from "vitest";
import { recycledRsaKeys } from "../components/emulators/tls";
import { SANDBOX_UP_STEP as UP } from "./sandbox-helpers";

type Urls = typeof import("../components/urls");


// The facts are `as const` literals; a test may set them to anything.
// Each run's keys differ from one another; the runs reuse one set (about two seconds of CPU each).
const rsaKeys = recycledRsaKeys();

async function sandboxWith(changes: { [K in keyof Urls]?: unknown }) {
  vi.resetModules();
  vi.doMock("../components/urls", async (importOriginal) => ({ ...(await importOriginal<Urls>()), ...changes }));
  const { runSandbox } = await import("../components/sandbox/index.js");
  const { runEkmStack } = await import("../infra/stack.js");
  return runSandbox({ program: () => runEkmStack(), rsaKeys });
}

// Each test loads the whole stack again and runs a sandbox: far beyond the default 30 s on a loaded machine.
describe("a wiring mistake in a component", { timeout: 120_000 }, () => {
  afterEach(() => {
    vi.doUnmock("../components/urls");
  });

  it("in the route path: the gateway strips /oci and DSM sees a management call it has no session for", async () => {
    const r = await sandboxWith({ GATEWAY_ROUTE_PATH: "/oci/{path*}" });
    expect(r.ok).toBe(false);
    expect(r.failedStep?.name).toBe(UP);
    expect(r.failedStep?.detail).toContain(
      "oci-ekm-ekm-vault: OCI refused CreateVault: HTTP 400 InvalidParameter: The external key manager refused GetVaultMetadata: GetVaultMetadata answered HTTP 401: invalid bearer token: no such session",
    );
  }, 180_000);

  it("in the scope value: the resource app defines a scope the client app is not given, so no token", async () => {
    const r = await sandboxWith({ OCI_EKMS_SCOPE: "oci_ekm" });
    expect(r.ok).toBe(false);
    expect(r.failedStep?.name).toBe(UP);
    expect(r.failedStep?.detail).toMatch(/^oci-ekm-ekm-vault: OCI refused CreateVault: .*invalid_scope/);
  }, 180_000);

  it("and with the facts as shipped, the same harness passes", async () => {
    const r = await sandboxWith({});
    expect(r.failedStep).toBeUndefined();
    expect(r.ok).toBe(true);
  }, 180_000);
});
