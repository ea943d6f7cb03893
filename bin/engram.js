#!/usr/bin/env node
'use strict';
// The `engram` command: runs the CLI from the build (`npm run build` compiles src/ into dist/).
const path = require('node:path');

const entry = path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
let cli;
try {
  cli = require(entry);
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(entry)) {
    console.error(`engram: ${entry} is missing; run \`npm run build\` first.`);
    process.exit(1);
  }
  throw err;
}
cli.main(process.argv).catch((err) => {
  console.error((err && err.stack) || String(err));
  process.exit(1);
});
