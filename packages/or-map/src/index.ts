export {
  BUILT_IN_FIELD_TYPES,
  fieldState,
  getField,
  orMap,
  removeField,
  updateField,
} from "./builtins.js";
export {
  type Embedded,
  type EmbeddedType,
  type EmbeddedValue,
  embedded,
  embeddedUpdate,
  isPresent,
  readEmbedded,
} from "./embedded.js";
export {
  createOrMap,
  type FieldTypes,
  type OrMapKit,
  type OrMapOptions,
  type OrMapType,
} from "./or-map.js";
export {
  disable,
  enable,
  isEnabled,
  type PresenceCount,
  type PresenceState,
  presence,
} from "./presence.js";
export { MAX_OR_MAP_DEPTH, type OrMapState } from "./state.js";
export { fieldEntries, fieldValue, type OrMapEntry, type OrMapValue } from "./view.js";
