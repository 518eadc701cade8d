/** Reads any simulated key, by name and type tag, through its typed handle. */
import type { Dot } from "@convergent/clocks";
import type { PlainValue } from "@convergent/core";
import type { ReadOptions, Replica } from "@convergent/replicated-store";
import { COUNTER, MAP, REGISTER, SET } from "./schedule.js";

export interface ReadOutcome {
  readonly version: readonly Dot[];
  readonly exists: boolean;
  readonly count: number | undefined;
  readonly elements: ReadonlySet<string> | undefined;
  readonly value: unknown;
}

export async function readValue(
  replica: Replica,
  name: string,
  tag: string,
  options: ReadOptions,
): Promise<ReadOutcome> {
  const none = { count: undefined, elements: undefined, value: undefined };
  if (tag === COUNTER) {
    const r = await replica.counter(name).value(options);
    return { ...none, version: r.version, exists: r.exists, count: r.value };
  }
  if (tag === SET) {
    const r = await replica.set(name).values(options);
    const elements = new Set([...r.value].map(String));
    return { ...none, version: r.version, exists: r.exists, elements };
  }
  if (tag === REGISTER) {
    const r = await replica.register(name).get(options);
    return { ...none, version: r.version, exists: r.exists, value: r.value };
  }
  if (tag === MAP) {
    const r = await replica.orMap(name).value(options);
    return { ...none, version: r.version, exists: r.exists, value: r.value };
  }
  const r = await replica.mvRegister(name).values(options);
  return { ...none, version: r.version, exists: r.exists, value: r.value as PlainValue[] };
}
