/**
 * Option-value parsers that more than one module's commander options use.
 */

/** A repeatable option (`--env A=1 --env B=2`): every value given, in order. Start it with `[]`. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
