import { configOrExit, startWorker } from './bootstrap';

/** Background work (file ingestion, async runs) in its own process: no HTTP server. */
void startWorker(configOrExit());
