import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';

import { get, patch } from '../api/client';
import { useModels } from '../api/hooks';
import type { AppConfig } from '../api/types';
import { type QuotaDraft, quotaDraft, QuotaFields, quotaOf } from '../components/QuotaFields';
import { ErrorMessage, Loading } from '../components/ui';

export default function Config() {
  const queryClient = useQueryClient();
  const config = useQuery({ queryKey: ['config'], queryFn: () => get<AppConfig>('/config') });
  const models = useModels();
  const [model, setModel] = useState('');
  const [temperature, setTemperature] = useState('');
  const [maxTokens, setMaxTokens] = useState('');
  const [systemPrompt, setSystemPrompt] = useState('');
  const [quota, setQuota] = useState<QuotaDraft>(quotaDraft(null));
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    const c = config.data;
    if (!c) return;
    setModel(c.model ?? '');
    setTemperature(c.temperature?.toString() ?? '');
    setMaxTokens(c.max_tokens?.toString() ?? '');
    setSystemPrompt(c.system_prompt ?? '');
    setQuota(quotaDraft(c.default_user_quota));
  }, [config.data]);

  const save = useMutation({
    mutationFn: (body: object) => patch<AppConfig>('/config', body),
    onSuccess: (c) => {
      queryClient.setQueryData(['config'], c);
      setSaved(true);
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    const c = config.data!;
    const found: Record<string, string> = {};
    const t = Number(temperature);
    if (temperature.trim() === '' || !Number.isFinite(t) || t < 0 || t > 2)
      found.temperature = 'A number from 0 to 2.';
    if (!/^\d+$/.test(maxTokens.trim()) || Number(maxTokens) < 1)
      found.maxTokens = 'A whole number, at least 1.';
    const q = quotaOf(quota);
    if ('problem' in q) found.quota = q.problem;
    setProblems(found);
    if (Object.keys(found).length > 0 || 'problem' in q) return;
    const body: Record<string, unknown> = {};
    if (model && model !== c.model) body.model = model;
    if (t !== c.temperature) body.temperature = t;
    if (Number(maxTokens) !== c.max_tokens) body.max_tokens = Number(maxTokens);
    if (systemPrompt !== (c.system_prompt ?? '')) body.system_prompt = systemPrompt;
    if (JSON.stringify(q) !== JSON.stringify(quotaOf(quotaDraft(c.default_user_quota))))
      body.default_user_quota = q.quota;
    if (Object.keys(body).length === 0) return setSaved(true);
    save.mutate(body);
  };
  const invalid = (f: string) =>
    problems[f] ? { 'aria-invalid': true, 'aria-describedby': `config-${f}-problem` } : {};
  const problem = (f: string) =>
    problems[f] ? (
      <small id={`config-${f}-problem`} className="field-error">
        {problems[f]}
      </small>
    ) : null;

  if (config.isPending) return <Loading what="Loading the config" />;
  if (config.error) return <ErrorMessage error={config.error} />;
  return (
    <>
      <h1>Config</h1>
      <p>Applies to every user and replica within a second.</p>
      <form onSubmit={submit} noValidate aria-label="Config">
        <div className="grid">
          <label>
            Default model
            <select value={model} onChange={(e) => setModel(e.target.value)}>
              {model && !models.data?.data.some((m) => m.id === model) && (
                <option value={model}>{model} (not usable now)</option>
              )}
              {models.data?.data.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.id} ({m.provider})
                </option>
              ))}
            </select>
          </label>
          <div>
            <label>
              Temperature (0–2)
              <input
                inputMode="decimal"
                value={temperature}
                onChange={(e) => setTemperature(e.target.value)}
                {...invalid('temperature')}
              />
            </label>
            {problem('temperature')}
          </div>
          <div>
            <label>
              Max tokens
              <input
                inputMode="numeric"
                value={maxTokens}
                onChange={(e) => setMaxTokens(e.target.value)}
                {...invalid('maxTokens')}
              />
            </label>
            {problem('maxTokens')}
          </div>
        </div>
        <label>
          System prompt (empty: none)
          <textarea
            rows={4}
            value={systemPrompt}
            maxLength={32000}
            onChange={(e) => setSystemPrompt(e.target.value)}
          />
        </label>
        <QuotaFields
          legend="Default quota of users without their own (all empty: no limit)"
          value={quota}
          onChange={setQuota}
          problem={problems.quota}
          idPrefix="config"
        />
        <ErrorMessage error={save.error} />
        {saved && <p role="status">Saved.</p>}
        <button type="submit" aria-busy={save.isPending} disabled={save.isPending}>
          Save
        </button>
      </form>
    </>
  );
}
