// Shared by the tests of the scripts' command lines.
import { expect } from "vitest";
import { CliUsageError } from "../components/cli";

/** The message of the CliUsageError `run` throws; fails the test if it accepts the arguments. */
export function usageError(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(CliUsageError);
    return (err as Error).message;
  }
  throw new Error("accepted");
}
