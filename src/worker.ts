import { configOrExit, startWorker } from './bootstrap';
import { exitOnBootFailure } from './config/boot';

/** Background work (file ingestion, async runs) in its own process: no HTTP server. */
startWorker(configOrExit()).catch((err: unknown) => exitOnBootFailure(err));
