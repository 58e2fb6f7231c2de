import { useInfiniteQuery } from '@tanstack/react-query';

/**
 * Pages of a cursor-paged list (`{ items, nextCursor }`), fetched one "load more" at a time.
 * (tRPC's own infiniteQueryOptions adds a `direction` field to the input, which the API's strict
 * input schemas refuse, so the cursor is passed here by hand.)
 * @example const log = usePages(['audit', filters], (cursor) => client.audit.list.query({ ...filters, cursor }));
 */
export function usePages<T extends { items: unknown[]; nextCursor: string | null }>(
  key: readonly unknown[],
  fetchPage: (cursor: string | undefined) => Promise<T>,
) {
  const pages = useInfiniteQuery({
    queryKey: ['pages', ...key],
    queryFn: ({ pageParam }) => fetchPage(pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const items = (pages.data?.pages.flatMap((page) => page.items) ?? []) as T['items'];
  return { ...pages, items };
}
