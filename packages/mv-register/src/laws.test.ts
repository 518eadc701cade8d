import { crdtLaws } from "@convergent/core/testing";
import { describe, test } from "vitest";
import { spec } from "./test-arbitraries.js";

describe("mv-register laws", () => {
  for (const law of crdtLaws(spec)) test(law.name, law.check);
});
