import { describe, expect, it } from "vitest";
import * as lib from "../components";

describe("package", () => {
  it("loads", () => {
    expect(typeof lib).toBe("object");
  });
});
