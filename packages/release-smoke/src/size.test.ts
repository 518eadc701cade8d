import { beforeAll, expect, inject, test } from "vitest";
import { COUNTER_BAR_BYTES, COUNTERS, OWN_GZIP_BUDGETS } from "./budgets.mjs";
import { measureSizes, type PackageSize, sizeTable } from "./sizes.mjs";
import { PUBLISHED } from "./workspace.mjs";

const { app } = inject("smoke");
let rows: PackageSize[] = [];

// Measured from the installed tarballs, so the check covers exactly what users download.
beforeAll(async () => {
  rows = await measureSizes(app);
  console.info(sizeTable(rows, OWN_GZIP_BUDGETS));
});

test("every published package has a size budget", () => {
  expect(Object.keys(OWN_GZIP_BUDGETS).sort()).toEqual(
    PUBLISHED.map((dir) => `@convergent/${dir}`).sort(),
  );
});

test.each(Object.entries(OWN_GZIP_BUDGETS))(
  "%s stays within %i B min+gz of its own code",
  (name, budget) => {
    const row = rows.find((r) => r.name === name);
    expect(row, `${name} was not measured`).toBeDefined();
    expect(row?.ownGzip).toBeGreaterThan(0);
    expect(row?.ownGzip).toBeLessThanOrEqual(budget);
  },
);

test("counter packages beat the bar: under 2 KB of their own code", () => {
  const counters = rows.filter((row) => COUNTERS.includes(row.name));
  expect(counters).toHaveLength(2);
  for (const row of counters) expect(row.ownGzip, row.name).toBeLessThan(COUNTER_BAR_BYTES);
});
