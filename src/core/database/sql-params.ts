/**
 * Positional parameters for hand-written PostgreSQL: `bind(value)` adds a value and answers its
 * placeholder, so a statement reads in the order it is written and its numbering cannot drift.
 */
export class SqlParams {
  readonly values: unknown[] = [];

  bind(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}
