// The packed package installed in a stack project that has the newest @pulumi/pulumi (package-consumer.ts).
import { describeInstalledPackage } from "./package-consumer";

describeInstalledPackage("the newest @pulumi/pulumi", "latest");
