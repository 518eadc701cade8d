export { clear, reset, resolve, write } from "./mutators.js";
export { mvRegister } from "./mv-register.js";
export { hasConflict, siblingCount, siblings, value } from "./queries.js";
export { dotKey, emptyMvRegister, type MvRegisterState, type Sibling } from "./state.js";
