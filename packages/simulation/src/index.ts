export * from "./campaign.js";
export * from "./checks.js";
export type { Sabotage } from "./cluster.js";
export * from "./run.js";
export * from "./schedule.js";
export * from "./shrink.js";
export * from "./stats.js";
export * from "./violations.js";
