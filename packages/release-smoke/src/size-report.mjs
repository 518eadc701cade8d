// `pnpm --filter @convergent/release-smoke size`: prints the size table as Markdown, measured
// from the workspace's built packages (the same files `pnpm pack` ships; run `pnpm build` first).
import { COUNTER_BAR_BYTES, COUNTERS, OWN_GZIP_BUDGETS } from "./budgets.mjs";
import { measureAll, measureSizes, sizeTable } from "./sizes.mjs";
import { SMOKE_ROOT } from "./workspace.mjs";

const rows = await measureSizes(SMOKE_ROOT);
console.log(sizeTable(rows, OWN_GZIP_BUDGETS));
const all = await measureAll(SMOKE_ROOT);
console.log("");
console.log(
  `All ${rows.length} packages together, every export: ${all.min} B min, ${all.gzip} B min+gz (msgpackr included).`,
);
for (const row of rows.filter((r) => COUNTERS.includes(r.name))) {
  const verdict = row.ownGzip < COUNTER_BAR_BYTES ? "beats" : "misses";
  console.log(
    `- \`${row.name}\` ${verdict} the ${COUNTER_BAR_BYTES} B bar: ${row.ownGzip} B of its own code.`,
  );
}
const over = rows.filter((row) => row.ownGzip > (OWN_GZIP_BUDGETS[row.name] ?? Infinity));
if (over.length > 0) {
  console.log(`\nOver budget: ${over.map((row) => row.name).join(", ")}`);
  process.exitCode = 1;
}
