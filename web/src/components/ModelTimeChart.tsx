import {
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

// Distinct at a glance and readable on white (WCAG AA against the background).
const COLORS = ['#1d4ed8', '#b45309', '#047857', '#7e22ce', '#be123c'];

export interface ModelSeries {
  model: string;
  days: UsageRow[];
}

/** Tokens per day, one line per model; loaded on demand with the chart library. */
export default function ModelTimeChart({
  series,
  days,
}: {
  series: ModelSeries[];
  days: string[];
}) {
  const data = days.map((day) => {
    const point: Record<string, string | number> = { day };
    for (const s of series) {
      const row = s.days.find((r) => r.key === day);
      point[s.model] = row ? row.input_tokens + row.output_tokens : 0;
    }
    return point;
  });
  return (
    <figure className="chart">
      <div className="chart-box">
        <ResponsiveContainer width="100%" height={280}>
          <LineChart
            data={data}
            margin={{ top: 8, right: 8, bottom: 8, left: 0 }}
            accessibilityLayer
          >
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="day" tick={{ fontSize: 12 }} />
            <YAxis tick={{ fontSize: 12 }} />
            <Tooltip />
            <Legend />
            {series.map((s, i) => (
              <Line
                key={s.model}
                type="monotone"
                dataKey={s.model}
                stroke={COLORS[i % COLORS.length]}
                dot={false}
                isAnimationActive={false}
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
      <figcaption>Tokens per day by model</figcaption>
    </figure>
  );
}
