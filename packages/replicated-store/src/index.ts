export * from "./storage/errors.js";
export * from "./storage/indexeddb.js";
export * from "./storage/memory.js";
export * from "./storage/storage.js";
