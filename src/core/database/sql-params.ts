/**
 * Positional parameters for hand-written PostgreSQL: `bind(value)` adds a value and answers its
 * placeholder, so a statement reads in the order it is written and its numbering cannot drift.
 */
export class SqlParams {
  readonly values: unknown[] = [];

  bind(value: unknown): string {
    const n = this.values.push(value);
    // The same few placeholder strings serve every statement.
    return (PLACEHOLDERS[n] ??= `$${n}`);
  }
}

const PLACEHOLDERS: string[] = [];
