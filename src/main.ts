import { configOrExit, startApi } from './bootstrap';

void startApi(configOrExit());
