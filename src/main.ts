import { configOrExit, startApi } from './bootstrap';
import { exitOnBootFailure } from './config/boot';

const config = configOrExit();
// A configuration problem (a variable, a database or Redis that does not answer) is one line
// naming the variable, exit 78; any other failed start is reported and exits 1.
startApi(config).catch((err: unknown) => exitOnBootFailure(err, config.http.port));
