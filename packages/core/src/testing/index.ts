export { crdtLaws, type Law } from "./laws.js";
export {
  executeRun,
  type LawSpec,
  type RunResult,
  type SequentialSpec,
  type Step,
  stepArbitrary,
} from "./scenario.js";
export {
  fromWireImage,
  tableReader,
  tableWriter,
  toWireImage,
  type WireImage,
} from "./wire-harness.js";
