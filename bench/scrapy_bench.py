#!/usr/bin/python3
"""The Scrapy competitor of bench/run.sh (Debian's python3-scrapy, run with
the system Python): fetches and parses, stores nothing.

  /usr/bin/python3 scrapy_bench.py list URL_FILE CONCURRENCY
  /usr/bin/python3 scrapy_bench.py crawl START_URL CONCURRENCY
  /usr/bin/python3 scrapy_bench.py hosts URL_FILE CONCURRENCY DELAY_S PER_HOST

list: every URL of the file, each response parsed (Scrapy's selector, the
page's title) as our extracting stage parses ours.  crawl: from START_URL,
every same-host link (LinkExtractor), like Crawlee's CheerioCrawler.
hosts: the file's URLs with DOWNLOAD_DELAY and a per-domain concurrency, as
our per_host_delay and per_host_max_connections, and the downloader-aware
queue Scrapy advises for many domains.  robots.txt is not
obeyed, retries are Scrapy's (2), no cache, no throttle, no telnet.  Timed:
from the crawler's start to its end, in this process.  Prints one JSON
line: pages, failed, wall_s.
"""
import json
import sys
import time
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.linkextractors import LinkExtractor

STATS = {"pages": 0, "failed": 0}


class BenchSpider(scrapy.Spider):
    name = "bench"

    def __init__(self, mode, source, **kw):
        super().__init__(**kw)
        self.mode = mode
        self.source = source
        self.links = LinkExtractor()

    def start_requests(self):
        if self.mode == "crawl":
            self.allowed_domains = [urlsplit(self.source).hostname]
            yield scrapy.Request(self.source, errback=self.failed)
            return
        with open(self.source) as f:
            for line in f:
                if line.strip():
                    yield scrapy.Request(line.strip(), errback=self.failed,
                                         dont_filter=True)

    def parse(self, response):
        STATS["pages"] += 1
        response.css("title::text").get()
        if self.mode == "crawl":
            for link in self.links.extract_links(response):
                yield response.follow(link, errback=self.failed)

    def failed(self, failure):
        STATS["failed"] += 1


def main():
    mode, source, conc = sys.argv[1], sys.argv[2], int(sys.argv[3])
    settings = {
        "LOG_LEVEL": "ERROR",
        "ROBOTSTXT_OBEY": False,
        "TELNETCONSOLE_ENABLED": False,
        "AUTOTHROTTLE_ENABLED": False,
        "HTTPCACHE_ENABLED": False,
        "COOKIES_ENABLED": False,
        "CONCURRENT_REQUESTS": conc,
        "CONCURRENT_REQUESTS_PER_DOMAIN": conc,
        "REACTOR_THREADPOOL_MAXSIZE": 20,
        "DEPTH_LIMIT": 5,
    }
    if mode == "hosts":
        settings.update({
            "DOWNLOAD_DELAY": float(sys.argv[4]),
            "RANDOMIZE_DOWNLOAD_DELAY": False,
            "CONCURRENT_REQUESTS_PER_DOMAIN": int(sys.argv[5]),
            # Scrapy's queue for crawls of many domains (its "broad
            # crawls" advice); run.sh also gives a global concurrency as
            # large as the list, or the requests, host by host as ours,
            # wait in the first hosts' slots (60 s instead of ~5)
            "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.DownloaderAwarePriorityQueue",
        })
    process = CrawlerProcess(settings)
    process.crawl(BenchSpider, mode="crawl" if mode == "crawl" else "list",
                  source=source)
    t0 = time.monotonic()
    process.start()
    wall = time.monotonic() - t0
    print(json.dumps({"pages": STATS["pages"], "failed": STATS["failed"],
                      "wall_s": wall}))


if __name__ == "__main__":
    main()
