import { useQuery } from '@tanstack/react-query';

import { ApiError, request } from '../api/client';
import { useModels } from '../api/hooks';
import { ErrorMessage, Loading } from '../components/ui';

// The built-in providers' models (SPEC §5): whichever is not usable is asked for the reason.
const BUILT_IN = ['echo', 'deepseek-chat', 'deepseek-reasoner', 'gpt-4o', 'gpt-4o-mini'];

interface Unusable {
  id: string;
  why: string;
}

/** GET /v1/models/:id answers a usable model, or a 404 whose message says what to set. */
async function whyUnusable(ids: string[]): Promise<Unusable[]> {
  return Promise.all(
    ids.map(async (id) => {
      try {
        await request('GET', `/v1/models/${encodeURIComponent(id)}`, { root: true });
        return { id, why: 'usable' };
      } catch (err) {
        return { id, why: err instanceof ApiError ? err.message : String(err) };
      }
    }),
  );
}

export default function Models() {
  const models = useModels();
  const usable = new Set(models.data?.data.map((m) => m.id));
  const missing = BUILT_IN.filter((id) => models.data && !usable.has(id));
  const reasons = useQuery({
    queryKey: ['models', 'unusable', missing],
    queryFn: () => whyUnusable(missing),
    enabled: models.data !== undefined && missing.length > 0,
  });

  if (models.isPending) return <Loading what="Loading models" />;
  if (models.error) return <ErrorMessage error={models.error} />;
  const providers = [...new Set(models.data.data.map((m) => m.provider))];
  return (
    <>
      <h1>Models and providers</h1>
      <h2>Usable now</h2>
      <div className="table-scroll" tabIndex={0} role="region" aria-label="Usable models">
        <table>
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">Provider</th>
            </tr>
          </thead>
          <tbody>
            {models.data.data.map((m) => (
              <tr key={m.id}>
                <td>
                  <code>{m.id}</code>
                </td>
                <td>{m.provider}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p>Providers configured: {providers.join(', ') || 'none'}.</p>
      <h2>Built-in models not usable</h2>
      {missing.length === 0 ? (
        <p>Every built-in model is usable.</p>
      ) : reasons.isPending ? (
        <Loading what="Asking why" />
      ) : reasons.error ? (
        <ErrorMessage error={reasons.error} />
      ) : (
        <ul>
          {reasons.data.map((r) => (
            <li key={r.id}>
              <code>{r.id}</code>: {r.why}
            </li>
          ))}
        </ul>
      )}
      <p className="hint">
        More providers (Ollama, vLLM, Qwen, …) come from the file named by PROVIDERS_FILE; models of
        a provider whose key variable is unset are not usable until it is set.
      </p>
    </>
  );
}
