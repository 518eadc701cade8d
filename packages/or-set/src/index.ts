export type { ElementKey, OrSetElement } from "./element.js";
export { MAX_ELEMENT_STRING_LENGTH } from "./element.js";
export type { ElementDots } from "./element-dots.js";
export type { OrSetOptions } from "./element-models.js";
export type { OrSetKit } from "./kit.js";
export type { OrSetMutators } from "./mutators.js";
export { add, clear, createOrSet, elements, has, orSet, remove, reset, size } from "./or-set.js";
export type { OrSetState } from "./state.js";
