/**
 * What `fixtures/scenario.mjs` must report, in Node and in the browser bundle alike: the
 * documented behaviour of each package (README examples), computed by hand.
 */
const converged = {
  greeting: "hello",
  answer: 42,
  visits: 6,
  tags: ["from-a", "from-b", "from-c"],
};

export const EXPECTED_SCENARIO = {
  gCounter: [6, 6],
  pnCounter: [-3, -3],
  typedError: { code: "INVALID_ARGUMENT", unchanged: true },
  orSet: { elements: ["apple", "pear"], bothHaveApple: true },
  lww: { register: ["final", "final"], theme: "dark", map: { theme: "dark" } },
  mv: {
    siblings: ["Groceries", "Shopping list"],
    conflict: true,
    resolved: ["Groceries / Shopping list"],
  },
  codec: {
    roundTrips: ["g-counter", "pn-counter", "or-set", "lww-register", "lww-map", "mv-register"].map(
      (tag) => ({ tag, equal: true }),
    ),
    canonical: true,
    truncated: "TRUNCATED",
  },
  sync: {
    // Cut off, c sees only its own increment; after the heal all three agree.
    cDuringPartition: 2,
    replicas: [converged, converged, converged],
  },
};
