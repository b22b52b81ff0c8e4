// The DSM providers through Pulumi's own dynamic-provider host, with this checkout's dist/ required by
// path from another project (dsm-host-modes.ts).
import { describeByPathThroughHost } from "./dsm-host-modes";

describeByPathThroughHost();
