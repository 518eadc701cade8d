import type { DecodeLimits, WirePlain } from "@convergent/core";
import type { ElementKey } from "./element.js";

/** How a set turns its elements into keys and wire data; one per set type. */
export interface ElementModel<E> {
  /** True when elements are stored beside their keys (a key function); false when an element is its own key. */
  readonly keyed: boolean;
  /** The element's key; throws InvalidArgumentError when the element cannot be in the set. */
  keyOf(element: E): ElementKey;
  toWire(element: E): WirePlain;
  /** Decodes one element; throws DecodeError only. */
  fromWire(plain: unknown, limits: DecodeLimits): { readonly element: E; readonly key: ElementKey };
}
