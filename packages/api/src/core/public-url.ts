import { AppError } from './errors';

export interface PublicUrl {
  /** The base URL, without a trailing slash; throws PRECONDITION_FAILED when nothing set it. */
  get(): string;
  /** Used when PUBLIC_URL is unset: the server's own listening address. */
  setDefault(origin: string): void;
}

/**
 * Strongroom's external base URL. PUBLIC_URL wins; without it the server's own listening address
 * is used (development and tests), which is right only when browsers reach the server directly.
 * @example deps.publicUrl.get() // 'https://strongroom.example.com'
 */
export function createPublicUrl(configured: string | undefined): PublicUrl {
  let fallback: string | undefined;
  return {
    get() {
      const url = configured ?? fallback;
      if (!url) {
        throw new AppError('PRECONDITION_FAILED', 'Set PUBLIC_URL to the URL browsers reach Strongroom at', {
          reason: 'PUBLIC_URL_MISSING',
        });
      }
      return url;
    },
    setDefault(origin) {
      fallback ??= origin;
    },
  };
}
