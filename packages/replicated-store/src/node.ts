export { parseCommand, type ServeConfig, USAGE, UsageError } from "./serve/args.js";
export { MultiTransport } from "./serve/multi-transport.js";
export { type RunningServer, type ServeEvent, startServer } from "./serve/server.js";
export * from "./storage/sqlite.js";
