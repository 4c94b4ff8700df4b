import type { DataSource, ObjectLiteral } from 'typeorm';

/**
 * TypeORM's SQLite driver writes every number parameter into the SQL text
 * (`AbstractSqliteDriver.escapeQueryWithParameters`), so each new number (a delivery's lease, an
 * attempt's status code, a run's duration) made a statement of its own, prepared anew and pushed
 * through TypeORM's cache of 100, its native memory left to the process (bench/results/analysis.md).
 * Whole numbers reach the driver as BigInts instead: it binds those like any other value, and
 * better-sqlite3 binds a BigInt as an INTEGER, which stores exactly what the number in the text did
 * (a plain number would bind as a REAL: '5.0' in a text column). Other numbers stay in the text.
 */
export function bindSqliteNumbers(dataSource: DataSource): void {
  if (dataSource.options.type !== 'better-sqlite3') return;
  const driver = dataSource.driver;
  const escape = driver.escapeQueryWithParameters.bind(driver);
  driver.escapeQueryWithParameters = (sql, parameters) =>
    escape(sql, parameters && wholeNumbersAsBigInts(parameters));
}

function wholeNumbersAsBigInts(parameters: ObjectLiteral): ObjectLiteral {
  let copy: ObjectLiteral | undefined;
  for (const key in parameters) {
    const value: unknown = parameters[key];
    if (typeof value === 'number' && Number.isSafeInteger(value))
      (copy ??= { ...parameters })[key] = BigInt(value);
  }
  return copy ?? parameters;
}
