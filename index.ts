// Source entry point for Pulumi's component analyzer (`pulumi package add`), which looks for the
// TypeScript behind the package's main entry; the compiled entry is dist/index.js.
export * from "./components";
