import { useState } from 'react';

import type { UsageRow } from '../api/types';
import { formatCost, formatNumber } from './ui';

type Column = 'key' | 'requests' | 'input_tokens' | 'output_tokens' | 'cost_usd';
const COLUMNS: [Column, string][] = [
  ['key', 'Group'],
  ['requests', 'Requests'],
  ['input_tokens', 'Input tokens'],
  ['output_tokens', 'Output tokens'],
  ['cost_usd', 'Cost'],
];

export function sortRows(rows: UsageRow[], column: Column, ascending: boolean): UsageRow[] {
  const sign = ascending ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = a[column];
    const y = b[column];
    if (x === y) return 0;
    if (x === null) return 1;
    if (y === null) return -1;
    return (x < y ? -1 : 1) * sign;
  });
}

/** A usage report as a table whose column headers sort it. */
export function UsageTable({
  rows,
  label,
  keyLabel,
}: {
  rows: UsageRow[];
  label: string;
  keyLabel: (key: string | null) => string;
}) {
  const [column, setColumn] = useState<Column>('key');
  const [ascending, setAscending] = useState(true);
  const sorted = sortRows(rows, column, ascending);
  return (
    <div className="table-scroll" tabIndex={0} role="region" aria-label={label}>
      <table>
        <thead>
          <tr>
            {COLUMNS.map(([c, title]) => (
              <th
                key={c}
                scope="col"
                aria-sort={column === c ? (ascending ? 'ascending' : 'descending') : 'none'}
              >
                <button
                  type="button"
                  className="sort"
                  onClick={() => {
                    setAscending(column === c ? !ascending : c === 'key');
                    setColumn(c);
                  }}
                >
                  {title}
                  <span aria-hidden="true">{column === c ? (ascending ? ' ▲' : ' ▼') : ''}</span>
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {sorted.map((r) => (
            <tr key={String(r.key)}>
              <td>{keyLabel(r.key)}</td>
              <td>{formatNumber(r.requests)}</td>
              <td>{formatNumber(r.input_tokens)}</td>
              <td>{formatNumber(r.output_tokens)}</td>
              <td>
                {formatCost(r.cost_usd)}
                {r.unpriced_requests ? ` (${r.unpriced_requests} unpriced)` : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
