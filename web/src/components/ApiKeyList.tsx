import { useMutation, useQueryClient } from '@tanstack/react-query';

import { del } from '../api/client';
import { usePaged } from '../api/hooks';
import type { ApiKey } from '../api/types';
import { Empty, ErrorMessage, formatDate, formatNumber, Loading, Pager } from './ui';

/** A user's active keys: prefix, limits, last use, and a revoke button. */
export function ApiKeyList({ userId }: { userId?: string }) {
  const queryClient = useQueryClient();
  const keys = usePaged<ApiKey>(['api-keys', userId ?? 'me'], '/api-keys', { user_id: userId });
  const revoke = useMutation({
    mutationFn: (id: string) => del(`/api-keys/${id}`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['api-keys'] }),
  });

  if (keys.isPending) return <Loading what="Loading keys" />;
  if (keys.error) return <ErrorMessage error={keys.error} />;
  const page = keys.data;
  return (
    <>
      <ErrorMessage error={revoke.error} />
      {page.total === 0 ? (
        <Empty>No active API keys. Create one above to call the API from your code.</Empty>
      ) : (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="API keys">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Prefix</th>
                <th scope="col">Limits</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {page.data.map((k) => (
                <tr key={k.id}>
                  <td>{k.name}</td>
                  <td>
                    <code>{k.prefix}</code>
                  </td>
                  <td>
                    <KeyLimits apiKey={k} />
                  </td>
                  <td>{formatDate(k.created_at)}</td>
                  <td>{k.expires_at ? formatDate(k.expires_at) : 'never'}</td>
                  <td>{k.last_used_at ? formatDate(k.last_used_at) : 'never'}</td>
                  <td>
                    <button
                      type="button"
                      className="secondary outline"
                      aria-label={`Revoke ${k.name}`}
                      disabled={revoke.isPending}
                      onClick={() => {
                        if (window.confirm(`Revoke the key "${k.name}"? It stops working at once.`))
                          revoke.mutate(k.id);
                      }}
                    >
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager
        label="API keys"
        total={page.total}
        limit={keys.limit}
        offset={keys.offset}
        onChange={keys.setOffset}
      />
    </>
  );
}

function KeyLimits({ apiKey }: { apiKey: ApiKey }) {
  const parts: string[] = [];
  if (apiKey.models && apiKey.models.length > 0) parts.push(`models: ${apiKey.models.join(', ')}`);
  if (apiKey.rate_limit_per_minute) parts.push(`${formatNumber(apiKey.rate_limit_per_minute)}/min`);
  if (apiKey.tokens_per_day) parts.push(`${formatNumber(apiKey.tokens_per_day)} tokens/day`);
  return <>{parts.length > 0 ? parts.join('; ') : 'the user’s own'}</>;
}
