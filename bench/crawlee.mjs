// The Crawlee competitor of bench/run.sh: a CheerioCrawler (no browser)
// crawling from the index page, same-host links, storing nothing.
//
//   node crawlee.mjs START_URL MAX_REQUESTS CONCURRENCY
//
// CONCURRENCY a number: fixed (min = max = desired), to match the
// extension's; `auto`: Crawlee's own autoscaling (its defaults).
// MAX_REQUESTS 0: no maxRequestsPerCrawl (the site is finite).  With the
// option set, Crawlee 3.18.1 slowed down to ~3 s a request on this site (a
// 190 s crawl instead of ~10 s), so run.sh passes 0.
// Storage is in memory only.  Timed: crawler.run() from start to end.
// Prints one JSON line.
import { CheerioCrawler, Configuration, log } from 'crawlee';
import { performance } from 'node:perf_hooks';

const [start, maxReq, conc] = process.argv.slice(2);
if (!start || !maxReq || !conc) {
  console.error('usage: node crawlee.mjs START_URL MAX_REQUESTS CONCURRENCY');
  process.exit(2);
}
log.setLevel(log.LEVELS.WARNING);
const config = new Configuration({ persistStorage: false, purgeOnStart: true });
let pages = 0, failed = 0;
const n = Number(conc);
const crawler = new CheerioCrawler({
  ...(conc === 'auto' ? {} : {
    minConcurrency: n, maxConcurrency: n, autoscaledPoolOptions: { desiredConcurrency: n },
  }),
  ...(Number(maxReq) > 0 ? { maxRequestsPerCrawl: Number(maxReq) } : {}),
  maxRequestRetries: 2,
  async requestHandler({ enqueueLinks }) {
    pages++;
    await enqueueLinks({ strategy: 'same-hostname' });
  },
  failedRequestHandler() { failed++; },
}, config);

const t0 = performance.now();
await crawler.run([start]);
const t1 = performance.now();
console.log(JSON.stringify({ pages, failed, wall_s: (t1 - t0) / 1000 }));
process.exit(0);
