/**
 * True the first time it is asked about `target` and `mark`, false after: a library's method is
 * replaced once however many apps (the e2e tests build many) or pipes install the change.
 */
export function firstPatch(target: object, mark: symbol): boolean {
  const marked = target as { [key: symbol]: true | undefined };
  if (marked[mark]) return false;
  marked[mark] = true;
  return true;
}
