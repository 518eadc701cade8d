import type { Embedded } from "./embedded.js";

/** Field name → type tag → the field's embedded state. Fields stay after a remove (as floors). */
export type OrMapState = Map<string, Map<string, Embedded<unknown>>>;

/** Deepest nesting of maps in maps accepted, counting the outermost map as 1. */
export const MAX_OR_MAP_DEPTH = 16;
