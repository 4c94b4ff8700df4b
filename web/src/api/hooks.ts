import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';

import { get, type Query } from './client';
import type { Model, Page } from './types';

export const PAGE_SIZE = 20;

/** One page of a list endpoint (SPEC §3: `limit/offset`), and the offset to move through it. */
export function usePaged<T>(
  key: readonly unknown[],
  path: string,
  query: Query = {},
  limit = PAGE_SIZE,
) {
  const [offset, setOffset] = useState(0);
  const result = useQuery({
    queryKey: [...key, { ...query, limit, offset }],
    queryFn: () => get<Page<T>>(path, { ...query, limit, offset }),
    placeholderData: (previous) => previous,
  });
  return { ...result, offset, setOffset, limit };
}

export function useModels() {
  return useQuery({
    queryKey: ['models'],
    queryFn: () => get<{ data: Model[] }>('/models'),
    staleTime: 60_000,
  });
}
