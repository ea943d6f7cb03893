import { timingSafeEqual } from 'node:crypto';

/** Whether an `Authorization` header carries `Bearer <token>`, compared in constant time. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1].trim());
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

export const METRICS_UNAUTHORIZED =
  '/metrics needs "Authorization: Bearer <token>" with the value of ENGRAM_METRICS_TOKEN';
