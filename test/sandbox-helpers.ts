// What the sandbox's tests share: the names of its steps as a user reads them (written out, so that a
// changed name fails the tests), and `npm run sandbox`'s command run in-process with the test's I/O.
// The command is loaded when called, so that a file mocking a module first (sandbox-wiring.test.ts)
// can still take the names.
import path from "node:path";
import type { RsaKeySource } from "../components/emulators/tls";

export const SANDBOX_UP_STEP = "pulumi up (in-process, mocks answered by the emulators, DSM through Pulumi's dynamic-provider host)";

/** The steps of a run of the built-in stack, in order. */
export const SANDBOX_STEPS = [
  "start the emulated Identity Domain, DSM and OCI Key Management",
  SANDBOX_UP_STEP,
  "the API gateway and the private endpoint, started from the registered deployment as OCI created the vault",
  "the gateway route: a DSM management call from the VCN (GET /sys/v1/groups)",
  "OCI Vault: token from the Identity Domain (client credentials)",
  "OCI Vault: GetVaultMetadata through the private endpoint and the gateway",
  'OCI Vault: GetKeyMetadata of "oci-ekm-key"',
  "OCI Vault: GetKeyVersionMetadata of the current version",
  "OCI Vault: Encrypt a sample (KmsCryptoClient, through the private endpoint and the gateway to DSM)",
  "rotate the key: pulumi up again with keys[0].rotate set; DSM rekeys it (Check, Diff, Update through the host)",
  "OCI after the rekey: the key reference still uses the old version (KmsManagementClient GetKey, KmsCryptoClient Encrypt)",
  "the same pulumi up creates a key reference version (oci:Kms/keyVersion:KeyVersion, CreateKeyVersion)",
  "OCI Vault: Encrypt again after the rotation",
  "OCI Vault: Decrypt both ciphertexts (KmsCryptoClient, each under the version it names)",
  "verify (npm run verify against the sandbox)",
];

/** `npm run sandbox -- <argv>` for the project in `projectDir`, the program this repository's stack; what it printed. */
export async function sandboxCommandOutput(argv: string[], projectDir: string, rsaKeys: RsaKeySource): Promise<{ code: number; lines: string[]; text: string }> {
  const { sandboxCommand } = await import("../components/sandbox/index.js");
  const { runEkmStack } = await import("../infra/stack.js");
  let text = "";
  const code = await sandboxCommand(argv, {
    projectDir,
    programDir: path.resolve(__dirname, ".."),
    program: () => runEkmStack(),
    write: (t) => void (text += t),
    tty: false,
    pid: 4242,
    stopRequested: new Promise(() => undefined),
    secrets: [],
    rsaKeys,
  });
  return { code, lines: text.split("\n"), text };
}
