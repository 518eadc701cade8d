import type { Dot, ReplicaId } from "@convergent/clocks";

/**
 * The live dots of one element. Almost every element has exactly one (the add that put it
 * there), so a lone dot is stored as itself and only concurrent adds pay for an array.
 * Values are never mutated once stored: states, clones and deltas share them safely.
 */
export type ElementDots = Dot | readonly Dot[];

export function isSingleDot(dots: ElementDots): dots is Dot {
  return !Array.isArray(dots);
}

export function dotList(dots: ElementDots): readonly Dot[] {
  return isSingleDot(dots) ? [dots] : dots;
}

export function dotCount(dots: ElementDots): number {
  return isSingleDot(dots) ? 1 : dots.length;
}

export function hasDot(
  dots: ElementDots | undefined,
  replica: ReplicaId,
  counter: number,
): boolean {
  if (dots === undefined) return false;
  if (isSingleDot(dots)) return dots.counter === counter && dots.replica === replica;
  for (const d of dots) if (d.counter === counter && d.replica === replica) return true;
  return false;
}

export function withDot(dots: ElementDots | undefined, added: Dot): ElementDots {
  if (dots === undefined) return added;
  return isSingleDot(dots) ? [dots, added] : [...dots, added];
}

/** The dots without (replica, counter); undefined when none are left. */
export function withoutDot(
  dots: ElementDots,
  replica: ReplicaId,
  counter: number,
): ElementDots | undefined {
  if (isSingleDot(dots)) {
    return dots.counter === counter && dots.replica === replica ? undefined : dots;
  }
  const kept = dots.filter((d) => d.counter !== counter || d.replica !== replica);
  if (kept.length === 1) return kept[0];
  return kept.length === 0 ? undefined : kept;
}

export function sameDots(a: ElementDots, b: ElementDots): boolean {
  if (dotCount(a) !== dotCount(b)) return false;
  for (const d of dotList(a)) if (!hasDot(b, d.replica, d.counter)) return false;
  return true;
}
