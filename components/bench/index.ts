// `npm run bench`: offline plan size and speed, DSM requests per operation, sandbox round trips.
export * from "./figures";
export * from "./measure";
export * from "./runner";
