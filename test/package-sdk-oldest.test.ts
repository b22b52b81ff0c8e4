// The packed package installed in a stack project that has the oldest @pulumi/pulumi the published
// range admits (package-consumer.ts).
import { describeInstalledPackage, OLDEST_SDK } from "./package-consumer";

describeInstalledPackage(`the oldest @pulumi/pulumi the range admits (${OLDEST_SDK})`, OLDEST_SDK);
