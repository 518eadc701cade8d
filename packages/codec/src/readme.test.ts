import { replicaId } from "@convergent/clocks";
import { gCounter, increment } from "@convergent/g-counter";
import { add, orSet } from "@convergent/or-set";
import { expect, test } from "vitest";
import { createCodec, DecodeError } from "./index.js";

// The README example, with its printed results as assertions.
test("the README example runs as documented", () => {
  const codec = createCodec({ types: [gCounter, orSet] });
  const alice = replicaId("alice");
  const bob = replicaId("bob");

  const counter = increment(gCounter.empty(), alice, 3);
  const bytes = codec.encode(gCounter, counter);
  expect(bytes.length).toBe(27);

  const { type, state } = codec.decode(bytes);
  expect([type.name, type.value(state)]).toEqual(["g-counter", 3]);
  expect(gCounter.value(codec.decodeAs(gCounter, bytes))).toBe(3);

  const fromAlice = add(orSet.empty(), alice, "apples");
  const fromBob = add(orSet.empty(), bob, "bread");
  const one = codec.encode(orSet, orSet.join(fromAlice, fromBob));
  const other = codec.encode(orSet, orSet.join(fromBob, fromAlice));
  expect(one.join() === other.join()).toBe(true);

  let caught: unknown;
  try {
    codec.decode(bytes.subarray(0, 20));
  } catch (error) {
    caught = error;
  }
  expect(caught instanceof DecodeError && caught.reason).toBe("TRUNCATED");

  const message = codec.encodePlain({ kind: "digest", ranges: [1, 2, 3] });
  expect(codec.decodePlain(message)).toEqual({ kind: "digest", ranges: [1, 2, 3] });
});
