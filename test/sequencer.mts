// The order in which vitest hands the test files to its two workers. Left to itself, a clean clone
// (no results cache yet) starts the largest files first, and the slowest ones, small files that
// wait on npm installs and child processes, could start last and run alone at the end. These start
// first, longest first (as measured); every other file follows in vitest's own order.
import path from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

const SLOWEST_FIRST = [
  "test/package-sdk-oldest.test.ts",
  "test/package-sdk-latest.test.ts",
  "test/dsm-host-checkout.test.ts",
  "test/sandbox.test.ts",
  "test/sandbox-keep.test.ts",
  "test/dsm-host.test.ts",
  "test/sandbox-stack.test.ts",
  "test/verify-cli.test.ts",
  "test/plan.test.ts",
  "test/sandbox-wiring.test.ts",
  "test/bench.test.ts",
  "test/package.test.ts",
];

export default class SlowestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification): number => {
      const i = SLOWEST_FIRST.indexOf(path.relative(spec.project.config.root, spec.moduleId).split(path.sep).join("/"));
      return i === -1 ? SLOWEST_FIRST.length : i;
    };
    // Array.prototype.sort is stable: the other files keep vitest's order.
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}
