import type { INestApplicationContext } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Server } from 'node:http';

export interface ShutdownLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * What a process does when the drain time is up and work is still running: the entry points
 * pass the run executor's cut (runs end `cancelled`, their committed steps kept), so the queues
 * that wait for their jobs can close within the rest of the period.
 */
export type OnDrainOver = () => void;

/** Runs `cut` once `ms` have passed, unless the returned cancel is called first. */
function cutAfter(ms: number, cut?: OnDrainOver): () => void {
  if (!cut) return () => undefined;
  const timer = setTimeout(cut, ms);
  timer.unref();
  return () => clearTimeout(timer);
}

/** Part of the grace period kept for closing modules (queues, database) after the HTTP drain. */
const MAX_CLOSE_RESERVE_MS = 5_000;

/** The part of the grace period in-flight requests and streams get before they are cut. */
export function drainTime(graceMs: number): number {
  return graceMs - Math.min(MAX_CLOSE_RESERVE_MS, Math.floor(graceMs / 5));
}

function within<T>(ms: number, work: Promise<T>): Promise<{ done: true; value: T } | { done: false }> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work.then((value) => ({ done: true as const, value })),
    new Promise<{ done: false }>((resolve) => (timer = setTimeout(() => resolve({ done: false }), ms))),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Closes the API within `graceMs`: the listener closes at once (new connections are refused,
 * readiness fails, a request on a kept-alive connection gets a 503), in-flight requests run to
 * their end while idle connections are closed as they free up, and whatever is still open when
 * the drain time is up (long SSE streams) is cut; then the modules close (database, queues) in
 * the rest of the period; `onDrainOver` runs when the drain time is up with work still going.
 * Resolves false when the modules did not close in time.
 */
export async function closeGracefully(
  app: NestFastifyApplication,
  graceMs: number,
  logger: ShutdownLogger,
  onDrainOver?: OnDrainOver,
): Promise<boolean> {
  const started = Date.now();
  const drainMs = drainTime(graceMs);
  const cancelCut = cutAfter(drainMs, onDrainOver);
  const server = app.getHttpServer() as Server;
  const closed = app.getHttpAdapter().getInstance().close();
  const sweep = setInterval(() => server.closeIdleConnections(), 100);
  const drained = await within(drainMs, closed);
  clearInterval(sweep);
  if (!drained.done) {
    const open = await new Promise<number>((resolve) => server.getConnections((_e, n) => resolve(n ?? 0)));
    logger.warn(
      `Grace period over: closing ${open} open connection(s); stream clients resume from their last seq_id`,
    );
    server.closeAllConnections();
    await closed;
  }
  const left = Math.max(graceMs - (Date.now() - started), 1_000);
  const modules = await within(left, app.close());
  cancelCut();
  if (!modules.done) logger.error(`Modules did not close within ${graceMs} ms of the signal`);
  return modules.done;
}

/**
 * On SIGTERM or SIGINT, runs `close` once and exits with 0 (clean) or 1; a second signal exits
 * at once. Used by the API (with `closeGracefully`) and the worker.
 */
export function exitOnSignals(close: () => Promise<boolean>, logger: ShutdownLogger): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    closing = true;
    logger.log(`${signal}: shutting down`);
    close().then(
      (clean) => process.exit(clean ? 0 : 1),
      (err: unknown) => {
        logger.error(`Shutdown failed: ${(err as Error)?.stack ?? String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/**
 * The worker's close: modules only (it has no HTTP server), bounded by the grace period. The
 * queues wait for the jobs in flight; `onDrainOver` cuts what still runs when the drain time is
 * up, so they can.
 */
export async function closeWithin(
  app: INestApplicationContext,
  graceMs: number,
  logger: ShutdownLogger,
  onDrainOver?: OnDrainOver,
) {
  const cancelCut = cutAfter(drainTime(graceMs), onDrainOver);
  const closed = await within(Math.max(graceMs, 1_000), app.close());
  cancelCut();
  if (!closed.done) logger.error(`Modules did not close within ${graceMs} ms of the signal`);
  return closed.done;
}
