import { openEmbedded } from './connect.js';
import { migrate } from './migrate.js';

/**
 * Child-process entry (see embedded-cluster.ts): initdb + migrations into the directory given as argument, so the
 * daemon's own process never carries initdb's memory peak.
 */
const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: embedded-init <dir>\n');
  process.exit(2);
}
const db = await openEmbedded(dir);
try {
  await migrate(db.sql);
} finally {
  await db.close();
}
