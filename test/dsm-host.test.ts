// The DSM providers through Pulumi's own dynamic-provider host, with this repository's stack as
// `pulumi up` runs it here (dsm-host-modes.ts; the other ways of loading the library are in
// dsm-host-checkout.test.ts).
import { describeRepositoryStackThroughHost } from "./dsm-host-modes";

describeRepositoryStackThroughHost();
