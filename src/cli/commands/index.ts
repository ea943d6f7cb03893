import type { Command } from 'commander';
import { apiCommand } from './api.command';
import { doctorCommand } from './doctor.command';
import { importAfCommand } from './import-af.command';
import { migrateCommand } from './migrate.command';
import { uploadCommand } from './upload.command';
import { workerCommand } from './worker.command';

/**
 * Every `engram` subcommand. A new one is a file beside these exporting a function that returns
 * its `Command`, listed here.
 */
export const COMMANDS: (() => Command)[] = [
  apiCommand,
  workerCommand,
  migrateCommand,
  doctorCommand,
  importAfCommand,
  uploadCommand,
];
