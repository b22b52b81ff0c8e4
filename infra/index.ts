// The Pulumi program of the `oci-ekm` project (Pulumi.yaml: `main: infra/`).
import { runEkmStack } from "./stack";

export = async () => runEkmStack();
