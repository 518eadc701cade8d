export * from "./storage/sqlite.js";
