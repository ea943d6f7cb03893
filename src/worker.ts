import { configOrExit, startWorker } from './bootstrap';

/** Background work (file ingestion, async runs) in its own process: no HTTP server. */
startWorker(configOrExit()).catch((err: unknown) => {
  console.error((err as Error)?.stack ?? String(err));
  process.exit(1);
});
