import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';

import { del, get, post } from '../api/client';
import { usePaged } from '../api/hooks';
import type { Skill, SkillRun } from '../api/types';
import { useUser } from '../auth';
import { Empty, ErrorMessage, formatDate, Loading, Pager, StatusBadge } from '../components/ui';

type ParamType = 'string' | 'number' | 'boolean';
interface ParamRow {
  key: string;
  type: ParamType;
  value: string;
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const FINAL = ['succeeded', 'failed', 'timed_out'];

function toParams(rows: ParamRow[]): {
  params?: Record<string, string | number | boolean>;
  problem?: string;
} {
  const params: Record<string, string | number | boolean> = {};
  for (const row of rows) {
    if (row.key === '' && row.value === '') continue;
    if (!KEY.test(row.key))
      return {
        problem: `“${row.key}” is not a parameter name: letters, digits and _, not starting with a digit.`,
      };
    if (row.key in params) return { problem: `The parameter ${row.key} is given twice.` };
    if (row.type === 'number') {
      const n = Number(row.value);
      if (row.value.trim() === '' || !Number.isFinite(n))
        return { problem: `${row.key} must be a number.` };
      params[row.key] = n;
    } else if (row.type === 'boolean') {
      params[row.key] = row.value === 'true';
    } else {
      params[row.key] = row.value;
    }
  }
  return { params };
}

export default function SkillDetail() {
  const { name = '' } = useParams();
  const user = useUser();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const skill = useQuery({
    queryKey: ['skills', name],
    queryFn: () => get<Skill>(`/skills/${name}`),
  });
  const runs = usePaged<SkillRun>(['skills', name, 'runs'], `/skills/${name}/runs`);
  const [rows, setRows] = useState<ParamRow[]>([{ key: '', type: 'string', value: '' }]);
  const [problem, setProblem] = useState<string | null>(null);
  const [runId, setRunId] = useState<string | null>(null);

  const run = useMutation({
    mutationFn: (params: Record<string, string | number | boolean>) =>
      post<SkillRun>(`/skills/${name}/run`, { params }, { wait: 'false' }),
    onSuccess: (r) => {
      setRunId(r.id);
      void queryClient.invalidateQueries({ queryKey: ['skills', name, 'runs'] });
    },
  });
  // The run as it goes: polled until it reaches a final state.
  const current = useQuery({
    queryKey: ['skills', name, 'run', runId],
    queryFn: () => get<SkillRun>(`/skills/${name}/runs/${runId}`),
    enabled: runId !== null,
    refetchInterval: (q) => (q.state.data && FINAL.includes(q.state.data.status) ? false : 500),
  });
  const remove = useMutation({
    mutationFn: () => del(`/skills/${name}`),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['skills'] });
      void navigate('/skills');
    },
  });

  const finished = current.data && FINAL.includes(current.data.status) ? current.data.id : null;
  useEffect(() => {
    if (finished) void queryClient.invalidateQueries({ queryKey: ['skills', name, 'runs'] });
  }, [finished, name, queryClient]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const { params, problem: found } = toParams(rows);
    setProblem(found ?? null);
    if (params) run.mutate(params);
  };
  const setRow = (i: number, change: Partial<ParamRow>) =>
    setRows(rows.map((r, j) => (j === i ? { ...r, ...change } : r)));

  if (skill.isPending) return <Loading what="Loading the skill" />;
  if (skill.error) return <ErrorMessage error={skill.error} />;
  const s = skill.data;
  return (
    <>
      <p>
        <Link to="/skills">← Skills</Link>
      </p>
      <h1>{s.name}</h1>
      <p>{s.description || 'No description.'}</p>
      <p>Timeout: {(s.timeout_ms / 1000).toLocaleString()} s</p>
      {user.role === 'admin' && (
        <>
          {s.script !== undefined && (
            <details>
              <summary>Script</summary>
              <pre>
                <code>{s.script}</code>
              </pre>
            </details>
          )}
          <div className="actions">
            <Link to={`/skills/${s.name}/edit`} role="button" className="secondary">
              Edit
            </Link>
            <button
              type="button"
              className="secondary outline"
              onClick={() => {
                if (window.confirm(`Delete the skill ${s.name}?`)) remove.mutate();
              }}
            >
              Delete
            </button>
          </div>
          <ErrorMessage error={remove.error} />
        </>
      )}

      <h2>Run it</h2>
      <form onSubmit={submit} noValidate aria-label="Run the skill">
        <fieldset>
          <legend>
            Parameters (each reaches the script as PARAM_&lt;NAME&gt;, and all as JSON on stdin)
          </legend>
          {rows.map((row, i) => (
            <div className="param-row" key={i}>
              <label>
                Name {i + 1}
                <input value={row.key} onChange={(e) => setRow(i, { key: e.target.value })} />
              </label>
              <label>
                Type {i + 1}
                <select
                  value={row.type}
                  onChange={(e) =>
                    setRow(i, {
                      type: e.target.value as ParamType,
                      value: e.target.value === 'boolean' ? 'true' : row.value,
                    })
                  }
                >
                  <option value="string">text</option>
                  <option value="number">number</option>
                  <option value="boolean">true/false</option>
                </select>
              </label>
              <label>
                Value {i + 1}
                {row.type === 'boolean' ? (
                  <select value={row.value} onChange={(e) => setRow(i, { value: e.target.value })}>
                    <option value="true">true</option>
                    <option value="false">false</option>
                  </select>
                ) : (
                  <input value={row.value} onChange={(e) => setRow(i, { value: e.target.value })} />
                )}
              </label>
              <button
                type="button"
                className="secondary outline"
                aria-label={`Remove parameter ${i + 1}`}
                onClick={() => setRows(rows.filter((_, j) => j !== i))}
              >
                Remove
              </button>
            </div>
          ))}
          <button
            type="button"
            className="secondary"
            onClick={() => setRows([...rows, { key: '', type: 'string', value: '' }])}
          >
            Add a parameter
          </button>
        </fieldset>
        {problem && (
          <p role="alert" className="error">
            {problem}
          </p>
        )}
        <ErrorMessage error={run.error} />
        <button type="submit" aria-busy={run.isPending} disabled={run.isPending}>
          Run
        </button>
      </form>
      {current.error ? <ErrorMessage error={current.error} /> : null}
      {current.data && (
        <section aria-label="This run" aria-live="polite">
          <h3>
            This run: <StatusBadge status={current.data.status} />
          </h3>
          <RunOutput run={current.data} />
        </section>
      )}

      <h2>{user.role === 'admin' ? 'Runs (everyone’s)' : 'Your runs'}</h2>
      {runs.isPending ? (
        <Loading what="Loading runs" />
      ) : runs.error ? (
        <ErrorMessage error={runs.error} />
      ) : runs.data.total === 0 ? (
        <Empty>No runs yet: run the skill above.</Empty>
      ) : (
        <>
          <ul className="runs">
            {runs.data.data.map((r) => (
              <li key={r.id}>
                <details>
                  <summary>
                    <StatusBadge status={r.status} /> {formatDate(r.created_at)}
                    {r.duration_ms !== null ? ` · ${r.duration_ms} ms` : ''}
                  </summary>
                  <RunOutput run={r} />
                </details>
              </li>
            ))}
          </ul>
          <Pager
            label="Runs"
            total={runs.data.total}
            limit={runs.limit}
            offset={runs.offset}
            onChange={runs.setOffset}
          />
        </>
      )}
    </>
  );
}

export function RunOutput({ run }: { run: SkillRun }) {
  return (
    <dl className="run-output">
      <dt>Parameters</dt>
      <dd>
        <code>{JSON.stringify(run.params)}</code>
      </dd>
      <dt>Exit code</dt>
      <dd>{run.exit_code ?? '—'}</dd>
      <dt>Output (stdout)</dt>
      <dd>
        <pre data-testid="run-stdout">{run.stdout || '(empty)'}</pre>
      </dd>
      <dt>Errors (stderr)</dt>
      <dd>
        <pre>{run.stderr || '(empty)'}</pre>
      </dd>
      {run.output_truncated && (
        <>
          <dt>Note</dt>
          <dd>The output was cut at the size limit.</dd>
        </>
      )}
    </dl>
  );
}
