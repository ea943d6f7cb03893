/**
 * Runs before every e2e and compat test file, in its worker. Files run two at a time, against one
 * database and one Redis: each file gets a Redis prefix of its own, so one file's app never takes
 * another's queued jobs, locks or events (a spawned worker is handed the file's prefix).
 */
const base = process.env.ENGRAM_REDIS_PREFIX ?? 'engram-test';
process.env.ENGRAM_REDIS_PREFIX = `${base}-w${process.env.JEST_WORKER_ID ?? 0}-${Date.now().toString(36)}`;
