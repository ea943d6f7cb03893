import { ConfigError } from './config';

/**
 * Ends a process whose start-up failed with one line on stderr: a configuration problem names
 * the variable (exit 78, EX_CONFIG), anything else says what failed (exit 1).
 */
export function exitOnBootFailure(err: unknown, port?: number): never {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(78);
  }
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'EADDRINUSE' && port !== undefined) {
    console.error(`PORT: ${port} is already in use on this host`);
    process.exit(78);
  }
  console.error(`Engram failed to start: ${e?.message ?? String(err)}`);
  process.exit(1);
}
