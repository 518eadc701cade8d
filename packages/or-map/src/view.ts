import type { CrdtType } from "@convergent/core";

/**
 * The value of an OR-Map: field name → type tag → that field's value, present fields only,
 * names and tags in ascending code-unit order. A name usually has one tag; a name created
 * concurrently as two types has two. Read one field with `fieldValue`, list them with
 * `fieldEntries`; a nested map's value is again an `OrMapValue`.
 */
export type OrMapValue = ReadonlyMap<string, ReadonlyMap<string, unknown>>;

/** One present field, as `fieldEntries` lists it. */
export interface OrMapEntry {
  readonly name: string;
  /** The field's type tag. */
  readonly type: string;
  readonly value: unknown;
}

/**
 * The value of field `name` held as `type` (matched by tag), or undefined when the map has no
 * such present field: `fieldValue(todo, "likes", gCounter)` is a `number | undefined`.
 */
export function fieldValue<S, V>(
  view: OrMapValue,
  name: string,
  type: CrdtType<S, V>,
): V | undefined {
  const byTag = view.get(name);
  if (byTag === undefined || !byTag.has(type.name)) return undefined;
  return byTag.get(type.name) as V;
}

/** Every present field, sorted by name, then tag. */
export function fieldEntries(view: OrMapValue): OrMapEntry[] {
  const entries: OrMapEntry[] = [];
  for (const [name, byTag] of view) {
    for (const [type, value] of byTag) entries.push({ name, type, value });
  }
  return entries;
}
