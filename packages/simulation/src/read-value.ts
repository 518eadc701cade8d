/** Reads any simulated key through its typed handle, by the key's naming convention. */
import type { Dot } from "@convergent/clocks";
import type { PlainValue } from "@convergent/core";
import type { ReadOptions, Replica } from "@convergent/replicated-store";

export interface ReadOutcome {
  readonly version: readonly Dot[];
  readonly count: number | undefined;
  readonly elements: ReadonlySet<string> | undefined;
  readonly value: PlainValue | readonly PlainValue[] | undefined;
}

export async function readValue(
  replica: Replica,
  key: string,
  options: ReadOptions,
): Promise<ReadOutcome> {
  const kind = key[0];
  if (kind === "c" || kind === "q") {
    const r = await replica.counter(key).value(options);
    return { version: r.version, count: r.value, elements: undefined, value: undefined };
  }
  if (kind === "s" || kind === "k" || kind === "g") {
    const r = await replica.set(key).values(options);
    const elements = new Set([...r.value].map(String));
    return { version: r.version, count: undefined, elements, value: undefined };
  }
  if (kind === "r") {
    const r = await replica.register(key).get(options);
    return { version: r.version, count: undefined, elements: undefined, value: r.value };
  }
  const r = await replica.mvRegister(key).values(options);
  return { version: r.version, count: undefined, elements: undefined, value: r.value };
}
