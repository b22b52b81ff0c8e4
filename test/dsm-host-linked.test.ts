// The DSM providers through Pulumi's own dynamic-provider host, with this checkout linked into another
// project's node_modules (dsm-host-modes.ts).
import { describeLinkedThroughHost } from "./dsm-host-modes";

describeLinkedThroughHost();
