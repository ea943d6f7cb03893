import { configOrExit, startApi } from './bootstrap';

startApi(configOrExit()).catch((err: unknown) => {
  console.error((err as Error)?.stack ?? String(err));
  process.exit(1);
});
