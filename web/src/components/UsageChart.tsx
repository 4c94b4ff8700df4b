import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';

import type { UsageRow } from '../api/types';

export interface ChartProps {
  rows: UsageRow[];
  /** Over time (days on the x axis, lines) or across groups (bars). */
  kind: 'time' | 'groups';
  label: string;
  keyLabel?: (key: string | null) => string;
}

/** Requests, tokens and cost of a usage report; loaded on demand (recharts is the largest dependency). */
export default function UsageChart({ rows, kind, label, keyLabel = (k) => k ?? '—' }: ChartProps) {
  const data = rows.map((r) => ({
    name: keyLabel(r.key),
    requests: r.requests,
    tokens: r.input_tokens + r.output_tokens,
    cost: r.cost_usd ?? 0,
  }));
  const Chart = kind === 'time' ? LineChart : BarChart;
  const series = [
    { key: 'requests', name: 'Requests', color: '#1d4ed8', axis: 'left' },
    { key: 'tokens', name: 'Tokens', color: '#b45309', axis: 'left' },
    { key: 'cost', name: 'Cost (USD)', color: '#047857', axis: 'right' },
  ];
  return (
    <figure className="chart">
      <div className="chart-box">
        <ResponsiveContainer width="100%" height={280}>
          <Chart data={data} margin={{ top: 8, right: 8, bottom: 8, left: 0 }} accessibilityLayer>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="name" tick={{ fontSize: 12 }} />
            <YAxis yAxisId="left" tick={{ fontSize: 12 }} />
            <YAxis yAxisId="right" orientation="right" tick={{ fontSize: 12 }} />
            <Tooltip />
            <Legend />
            {series.map((s) =>
              kind === 'time' ? (
                <Line
                  key={s.key}
                  yAxisId={s.axis}
                  type="monotone"
                  dataKey={s.key}
                  name={s.name}
                  stroke={s.color}
                  dot={false}
                  isAnimationActive={false}
                />
              ) : (
                <Bar
                  key={s.key}
                  yAxisId={s.axis}
                  dataKey={s.key}
                  name={s.name}
                  fill={s.color}
                  isAnimationActive={false}
                />
              ),
            )}
          </Chart>
        </ResponsiveContainer>
      </div>
      <figcaption>{label}</figcaption>
    </figure>
  );
}
