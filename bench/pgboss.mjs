// The pg-boss competitor of bench/run.sh: a tuned pg-boss 12 worker in the
// same cluster (schema pgboss), tuned as issue 7 describes: batches of 50,
// 4 local workers, LISTEN/NOTIFY wake-ups, burst fetching while batches come
// back full.
//
//   node pgboss.mjs MODE URLS_FILE QUEUE
//
// MODE fetch: each job is one URL; the handler fetches it with Node's fetch
//             and INSERTs (url, status, body) into bench_pgboss_pages, one
//             INSERT per page, all jobs of a batch at once.
// MODE noop:  the handler only acknowledges (the queue's own overhead).
//
// The workers are started and polling before the clock starts.  Timed:
// send = boss.insert() of all jobs; stored = the handler has finished every
// job (every INSERT committed); done = every job is `completed` in pg-boss's
// table.  Prints one JSON line.  Connection: PGHOST (socket dir), PGPORT.
import { PgBoss } from 'pg-boss';
import pg from 'pg';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const [mode, urlsFile, queue] = process.argv.slice(2);
if (!['fetch', 'noop'].includes(mode) || !urlsFile || !queue) {
  console.error('usage: node pgboss.mjs fetch|noop URLS_FILE QUEUE');
  process.exit(2);
}
const urls = readFileSync(urlsFile, 'utf8').split('\n').filter(Boolean);
const conn = {
  host: process.env.PGHOST, port: Number(process.env.PGPORT),
  user: process.env.PGUSER || 'postgres', database: process.env.PGDATABASE || 'postgres',
};

const boss = new PgBoss({
  ...conn, schema: 'pgboss', max: 10, application_name: 'bench pg-boss',
  useListenNotify: true,
  // no cron scheduling and no maintenance loop during a timed run
  schedule: false, supervise: false,
});
boss.on('error', (e) => console.error('pg-boss error:', e.message));
const pool = new pg.Pool({ ...conn, max: 8, application_name: 'bench pg-boss inserts' });

let handled = 0, errors = 0, tStored = null, t0 = null;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function fetchAndStore(job) {
  try {
    const res = await fetch(job.data.url);
    const body = await res.text();
    await pool.query(
      'INSERT INTO bench_pgboss_pages (url, http_status, body) VALUES ($1, $2, $3)',
      [job.data.url, res.status, body]);
  } catch (e) {
    errors++;
    throw e;
  }
}

async function handler(jobs) {
  if (mode === 'fetch') await Promise.all(jobs.map(fetchAndStore));
  handled += jobs.length;
  if (handled >= urls.length && tStored === null) tStored = performance.now();
}

await boss.start();
await pool.query(`CREATE TABLE IF NOT EXISTS bench_pgboss_pages (
    id bigserial PRIMARY KEY, url text NOT NULL, http_status integer,
    body text, fetched_at timestamptz NOT NULL DEFAULT now())`);
await boss.createQueue(queue, { notify: true });
await boss.work(queue, {
  batchSize: 50, localConcurrency: 4,
  pollingIntervalSeconds: 0.5, burstWhenBatchFull: true,
}, handler);
await sleep(1000);           // the 4 workers are up and polling

t0 = performance.now();
await boss.insert(queue, urls.map((url) => ({ data: { url }, retryLimit: 2 })));
const tSent = performance.now();

const deadline = t0 + 10 * 60 * 1000;
while (tStored === null && performance.now() < deadline) await sleep(2);
let completed = 0;
for (;;) {
  const r = await pool.query(
    "SELECT count(*) FILTER (WHERE state = 'completed')::int AS c FROM pgboss.job WHERE name = $1",
    [queue]);
  completed = r.rows[0].c;
  if (completed >= urls.length || performance.now() > deadline) break;
  await sleep(5);
}
const tDone = performance.now();

await boss.stop({ graceful: true, timeout: 5000 });
await pool.query('SELECT 1');
await boss.deleteQueue(queue).catch(() => {});
await pool.end();
console.log(JSON.stringify({
  mode, jobs: urls.length, completed, errors,
  send_s: (tSent - t0) / 1000,
  stored_s: tStored === null ? null : (tStored - t0) / 1000,
  done_s: (tDone - t0) / 1000,
}));
process.exit(completed >= urls.length ? 0 : 1);
