// The DSM providers through Pulumi's own dynamic-provider host, with this checkout loaded by another
// project: its dist/ required by path, and the checkout linked into the project's node_modules
// (dsm-host-modes.ts). Both run in one team project, installed once.
import { describeByPathThroughHost, describeLinkedThroughHost } from "./dsm-host-modes";

describeByPathThroughHost();
describeLinkedThroughHost();
