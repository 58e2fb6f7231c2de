import { createHash, randomBytes } from 'node:crypto';
import type { TokenKind } from '@strongroom/db';

/** Recognisable prefixes, so a leaked token is easy to spot and to scan for. */
const PREFIX: Readonly<Record<TokenKind, string>> = Object.freeze({ user: 'sru_', worker: 'srw_' });
const TOKEN_PATTERN = /^sr[uw]_[A-Za-z0-9_-]{43}$/;

/** A new opaque bearer token; only its SHA-256 hash is ever stored. */
export function generateToken(kind: TokenKind): { token: string; hash: Buffer; hint: string } {
  const token = `${PREFIX[kind]}${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashToken(token), hint: `${token.slice(0, 8)}…` };
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Cheap shape check before any database work. */
export function looksLikeToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}
