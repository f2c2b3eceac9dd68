#!/usr/bin/env python3
"""Turn bench/out/results.csv into the report: a Markdown table of medians
and ratios with the targets of issue 7, bench/out/summary.json, and a PNG
chart drawn by gnuplot (bench/chart.gp).

    report.py OUTDIR MARKDOWN PNG
"""
import csv
import json
import os
import statistics
import subprocess
import sys

out_dir, md_path, png_path = sys.argv[1:4]
bench_dir = os.path.dirname(os.path.abspath(__file__))

rows = list(csv.DictReader(open(os.path.join(out_dir, "results.csv"))))
machine = {}
for line in open(os.path.join(out_dir, "machine.txt")):
    k, _, v = line.rstrip("\n").partition("=")
    machine[k] = v
site = json.load(open(os.path.join(out_dir, "site.json")))


def values(scen, tool, metric, rnd=None):
    v = []
    for r in rows:
        if (r["scenario"], r["tool"], r["metric"]) == (scen, tool, metric) and \
                (rnd is None or r["round"] == str(rnd)) and r["value"] != "":
            v.append(float(r["value"]))
    return v


def med(scen, tool, metric, rnd=None):
    v = values(scen, tool, metric, rnd)
    return statistics.median(v) if v else None


def fmt(x, unit="", nd=None):
    if x is None:
        return "n/a"
    if nd is None:
        nd = 3 if abs(x) < 1 else 2 if abs(x) < 100 else 0
    return f"{x:,.{nd}f}{unit}"


def ratio(a, b):
    return a / b if a is not None and b not in (None, 0) else None


def rounds_of(scen, tool, metric):
    return len(values(scen, tool, metric))


summary = {"machine": machine, "site": site, "results": {}, "targets": []}
lines = []
targets = []   # (what, measured, target, pass)


targets16 = []   # issue 16's: what a user waits for (completed)


def verdict(ok):
    return "n/a" if ok is None else ("**pass**" if ok else "**FAIL**")


def target(what, measured, text, ok, issue=7):
    (targets16 if issue == 16 else targets).append((what, measured, text, verdict(ok)))
    summary["targets"].append({"issue": issue, "what": what, "measured": measured,
                               "target": text, "pass": ok})


def target16(what, measured, text, ok):
    target(what, measured, text, ok, issue=16)


def le(r, bound):
    return None if r is None else r <= bound


table = []   # (scenario, tool, figure, median, note)


def row(scen, tool, figure, value, note=""):
    table.append((scen, tool, figure, value, note))
    summary["results"].setdefault(scen, []).append(
        {"tool": tool, "figure": figure, "value": value, "note": note})


chart = []   # (group, label, seconds, colour)
N = site["big_pages"]
NS = site["small_pages"]

# ---- list
e_st, e_wall = med("list", "scrape_jobs", "stored_s"), med("list", "scrape_jobs", "wall_s")
pb, pb_st = med("list", "pg-boss", "wall_s"), med("list", "pg-boss", "stored_s")
cu, co = med("list", "curl", "wall_s"), med("list", "copy", "wall_s")
if e_st is not None or pb is not None:
    n = rounds_of("list", "scrape_jobs", "stored_s")
    row("list", "scrape_jobs", f"{N} pages stored (s)", fmt(e_st),
        f"{fmt(ratio(N, e_st), nd=0)} pages/s; completed with the extracting/products stages: {fmt(e_wall)} s; {n} rounds")
    row("list", "pg-boss", "every job completed (s)", fmt(pb),
        f"last INSERT done: {fmt(pb_st)} s")
    row("list", "curl --parallel 64", "fetch only (s)", fmt(cu), "the fetch bound")
    row("list", "COPY", "bodies into a table (s)", fmt(co), "the write bound")
    r1, r2 = ratio(e_st, pb), ratio(e_st, co)
    row("list", "ratio", "scrape_jobs / pg-boss", fmt(r1, "×"), "")
    row("list", "ratio", "scrape_jobs / COPY", fmt(r2, "×"), "")
    row("list", "ratio", "scrape_jobs / curl", fmt(ratio(e_st, cu), "×"), "")
    sc = med("list", "scrapy", "wall_s")
    row("list", "Scrapy", f"{N} pages fetched and parsed (s)", fmt(sc),
        f"concurrency {machine.get('concurrency')}, robots off, the title read with its selector; stores nothing")
    row("list", "ratio", "scrape_jobs completed / pg-boss", fmt(ratio(e_wall, pb), "×"), "")
    row("list", "ratio", "scrape_jobs completed / Scrapy", fmt(ratio(e_wall, sc), "×"), "")
    target("list vs pg-boss", fmt(r1, "×"), "≤ 0.5×", None if r1 is None else r1 <= 0.5)
    target("list vs COPY bound", fmt(r2, "×"), "≤ 2.5×", None if r2 is None else r2 <= 2.5)
    r = ratio(e_wall, pb)
    target16("list completed vs pg-boss (fetch + INSERT)", fmt(r, "×"), "≤ 0.4×", le(r, 0.4))
    r = ratio(e_wall, e_st)
    target16("list completed vs stored", fmt(r, "×"), "≤ 1.25×", le(r, 1.25))
    chart += [("list", "scrape_jobs", e_wall, 0), ("", "pg-boss", pb, 2),
              ("", "Scrapy (no storage)", sc, 3), ("", "curl --parallel", cu, 4), ("", "COPY", co, 4)]

# ---- batch
b100, b1 = med("batch", "batch-100", "stored_s"), med("batch", "batch-1", "stored_s")
if b100 is not None or b1 is not None:
    row("batch", "batch_size = 100", f"{N} pages stored (s)", fmt(b100),
        f"completed {fmt(med('batch', 'batch-100', 'wall_s'))} s")
    row("batch", "batch_size = 1", f"{N} pages stored (s)", fmt(b1),
        f"completed {fmt(med('batch', 'batch-1', 'wall_s'))} s")
    r = ratio(b1, b100)
    row("batch", "ratio", "batch 1 / batch 100", fmt(r, "×"), "how much faster batches of 100 are")
    target("batch 100 vs batch 1", fmt(r, "×"), "≥ 5×", None if r is None else r >= 5)
    chart += [("batch", "batch_size 100", med('batch', 'batch-100', 'wall_s'), 0),
              ("", "batch_size 1", med('batch', 'batch-1', 'wall_s'), 1)]

# ---- small
s_st = med("small", "scrape_jobs", "stored_s")
pn, pf = med("small", "pg-boss-noop", "wall_s"), med("small", "pg-boss-fetch", "wall_s")
if s_st is not None or pn is not None:
    row("small", "scrape_jobs", f"{NS} tiny pages fetched and stored (s)", fmt(s_st),
        f"{fmt(ratio(NS, s_st), nd=0)} pages/s; completed {fmt(med('small', 'scrape_jobs', 'wall_s'))} s")
    s_sub, s_curl = med("small", "scrape_jobs", "submit_s"), med("small", "curl", "wall_s")
    row("small", "scrape_jobs", "of which scrape_submit_urls (s)", fmt(s_sub),
        "the pages are claimable once it commits")
    row("small", "curl --parallel 64", f"{NS} tiny pages, fetch only (s)", fmt(s_curl),
        "the fetch bound: no queue, nothing stored")
    row("small", "pg-boss, no-op handler", f"{NS} jobs acknowledged (s)", fmt(pn),
        f"{fmt(ratio(NS, pn), nd=0)} jobs/s (handler only returns: no fetch, no insert)")
    row("small", "pg-boss, fetch + INSERT", f"{NS} pages stored (s)", fmt(pf),
        f"{fmt(ratio(NS, pf), nd=0)} pages/s")
    r = ratio(ratio(NS, s_st), ratio(NS, pn))
    row("small", "ratio", "scrape_jobs pages/s ÷ pg-boss no-op jobs/s", fmt(r, "×"), "")
    row("small", "ratio", "scrape_jobs ÷ pg-boss fetch + INSERT (pages/s)",
        fmt(ratio(ratio(NS, s_st), ratio(NS, pf)), "×"), "")
    targets.append(("small pages vs pg-boss (no-op)", fmt(r, "×"), "≥ 2×",
                    "retired by issue 16 (the fetch alone takes most of it here)"))
    s_wall = med("small", "scrape_jobs", "wall_s")
    bound = None if s_curl is None or s_sub is None else s_curl + s_sub
    r = ratio(s_wall, bound)
    row("small", "ratio", "scrape_jobs completed / (curl --parallel + submit)", fmt(r, "×"), "")
    target16("small pages completed vs curl --parallel + submit", fmt(r, "×"), "≤ 1.3×", le(r, 1.3))
    chart += [("small", "scrape_jobs", s_wall, 0), ("", "pg-boss no-op", pn, 2),
              ("", "pg-boss fetch+insert", pf, 2), ("", "curl --parallel", s_curl, 4)]

# ---- crawl
c_st, c_wall = med("crawl", "scrape_jobs", "stored_s"), med("crawl", "scrape_jobs", "wall_s")
cr = med("crawl", "crawlee", "wall_s")
cra = med("crawl", "crawlee-auto", "wall_s")
if c_st is not None or cr is not None:
    row("crawl", "scrape_jobs", f"crawl of {fmt(med('crawl', 'scrape_jobs', 'pages_done'), nd=0)} pages stored (s)",
        fmt(c_st), f"completed {fmt(c_wall)} s")
    row("crawl", "Crawlee CheerioCrawler", f"crawl of {fmt(med('crawl', 'crawlee', 'pages_done'), nd=0)} pages (s)",
        fmt(cr), f"concurrency {machine.get('concurrency')} (min = max = desired); stores nothing")
    row("crawl", "Crawlee, autoscaled", f"crawl of {fmt(med('crawl', 'crawlee-auto', 'pages_done'), nd=0)} pages (s)",
        fmt(cra), "Crawlee's own autoscaling (its defaults); stores nothing")
    r = ratio(c_st, cr)
    row("crawl", "ratio", "scrape_jobs / Crawlee", fmt(r, "×"), "")
    row("crawl", "ratio", "scrape_jobs / Crawlee autoscaled", fmt(ratio(c_st, cra), "×"), "")
    target("crawl vs Crawlee", fmt(r, "×"), "≤ 0.2×", None if r is None else r <= 0.2)
    csc = med("crawl", "scrapy", "wall_s")
    row("crawl", "Scrapy", f"crawl of {fmt(med('crawl', 'scrapy', 'pages_done'), nd=0)} pages (s)",
        fmt(csc), f"concurrency {machine.get('concurrency')}, same-host links, robots off; stores nothing")
    r = ratio(c_wall, cr)
    row("crawl", "ratio", "scrape_jobs completed / Crawlee", fmt(r, "×"), "")
    target16("crawl completed vs Crawlee (64)", fmt(r, "×"), "≤ 0.1×", le(r, 0.1))
    r = ratio(c_wall, csc)
    row("crawl", "ratio", "scrape_jobs completed / Scrapy", fmt(r, "×"), "")
    target16("crawl completed vs Scrapy", fmt(r, "×"), "≤ 0.1×", le(r, 0.1))
    chart += [("crawl", "scrape_jobs", c_wall, 0), ("", "Crawlee (64)", cr, 3),
              ("", "Crawlee (autoscaled)", cra, 3), ("", "Scrapy", csc, 3)]

# ---- politeness across hosts
HOSTS = {"hosts": (50, 40), "hosts1000": (1000, 5)}   # hosts x pages, 100 ms apart
claim_ms = {}
for scen, (nh, np_) in HOSTS.items():
    h_st, h_wall = med(scen, "scrape_jobs", "stored_s"), med(scen, "scrape_jobs", "wall_s")
    if h_st is None:
        continue
    ideal = (np_ - 1) * 0.1
    hsc = med(scen, "scrapy", "wall_s")
    row(scen, "scrape_jobs", f"{nh:,} hosts × {np_} pages stored (s)", fmt(h_st),
        f"completed {fmt(h_wall)} s; ideal ({np_} - 1) × 100 ms = {fmt(ideal)} s; "
        f"{fmt(med(scen, 'scrape_jobs', 'pages_done'), nd=0)} pages done")
    row(scen, "Scrapy", f"{nh:,} hosts × {np_} pages (s)", fmt(hsc),
        "DOWNLOAD_DELAY 0.1, one request per domain, the downloader-aware queue, global "
        "concurrency as large as the list; stores nothing")
    row(scen, "ratio", "stored / ideal, completed / ideal",
        f"{fmt(ratio(h_st, ideal), '×')}, {fmt(ratio(h_wall, ideal), '×')}", "")
    row(scen, "ratio", "scrape_jobs completed / Scrapy", fmt(ratio(h_wall, hsc), "×"), "")
    label = f"{nh:,} hosts × {np_} pages"
    target16(f"{label}: stored vs ideal", fmt(ratio(h_st, ideal), "×"), "≤ 1.15×",
             le(ratio(h_st, ideal), 1.15))
    target16(f"{label}: completed vs ideal", fmt(ratio(h_wall, ideal), "×"), "≤ 1.3×",
             le(ratio(h_wall, ideal), 1.3))
    target16(f"{label}: completed vs Scrapy", fmt(ratio(h_wall, hsc), "×"), "≤ 0.5×",
             le(ratio(h_wall, hsc), 0.5))
    for kind in ("busy", "free"):
        ms, buf = med(scen, f"claim-{kind}", "exec_ms"), med(scen, f"claim-{kind}", "buffers")
        if ms is not None:
            claim_ms[(kind, nh)] = ms
            row(scen, f"claim, {'every host busy' if kind == 'busy' else 'no host busy'}",
                "a claim of 100 pages, EXPLAIN ANALYZE (ms)", fmt(ms),
                f"{fmt(buf, nd=0)} buffers; {nh:,} hosts × {np_} pages pending; median of 20")
    chart += [(scen, "scrape_jobs", h_wall, 0), ("", "Scrapy", hsc, 3), ("", "ideal", ideal, 4)]
if ("busy", 50) in claim_ms and ("busy", 1000) in claim_ms:
    r = ratio(claim_ms[("busy", 1000)], claim_ms[("busy", 50)])
    target16("claim with 1,000 hosts waiting vs 50", fmt(r, "×"),
             "≤ 2× (does not grow with the hosts waiting)", le(r, 2))

# ---- scale: a 100,000-page crawl
sc_wall = med("scale", "scrape_jobs", "wall_s")
if sc_wall is not None:
    npages = med("scale", "scrape_jobs", "pages_done")
    first, last = med("scale", "scrape_jobs", "first_tenth_pps"), med("scale", "scrape_jobs", "last_tenth_pps")
    row("scale", "scrape_jobs", f"crawl of {fmt(npages, nd=0)} pages stored (s)",
        fmt(med("scale", "scrape_jobs", "stored_s")),
        f"completed {fmt(sc_wall)} s ({fmt(ratio(npages, sc_wall), nd=0)} pages/s); one round")
    row("scale", "scrape_jobs", "pages/s, first tenth and last tenth of the pages done",
        f"{fmt(first, nd=0)}, {fmt(last, nd=0)}", "by the pages' result writes (fetched_at)")
    r = ratio(last, first)
    target16(f"{fmt(npages, nd=0)}-page crawl: pages/s of the last tenth vs the first", fmt(r, "×"), "≥ 0.8×",
             None if r is None else r >= 0.8)
    anon = med("scale", "scrape_jobs", "rss_anon_peak_kb")
    flat = med("scale", "scrape_jobs", "anon_second_half_ratio")
    row("scale", "scrape_jobs", "worker peak RssAnon (MiB)", fmt(anon / 1024 if anon else None, nd=1),
        f"2nd half ÷ 1st half peak: {fmt(flat, '×')}")
    target16(f"{fmt(npages, nd=0)}-page crawl: worker RssAnon 2nd half ÷ 1st half peak", fmt(flat, "×"),
             "≤ 1.2× (flat)", le(flat, 1.2))
    levels_d = sorted({int(r["round"]) for r in rows if r["scenario"] == "scale" and r["tool"] == "discover"})
    for lv in levels_d:
        row("scale", f"discovery, {lv:,} pages known", "one page's 36 links: candidates, insert, whole (ms)",
            f"{fmt(med('scale', 'discover', 'select_ms', lv))}, {fmt(med('scale', 'discover', 'insert_ms', lv))}, "
            f"{fmt(med('scale', 'discover', 'function_ms', lv))}",
            "auto_explain, bench/out/scale_discovery_plans.txt")
    if len(levels_d) >= 2:
        a, b = (med("scale", "discover", "function_ms", lv) for lv in (levels_d[0], levels_d[-1]))
        r = ratio(b, a)
        target16(f"discovery of links at {levels_d[-1]:,} vs {levels_d[0]:,} pages known", fmt(r, "×"),
                 "≤ 2× (flat)", le(r, 2))
    chart += [("scale", "100k crawl", sc_wall, 0)]

# ---- growth
levels = sorted({int(r["round"]) for r in rows
                 if r["scenario"] == "growth" and r["tool"] not in ("insert", "bench")})
queries = ["claim_empty", "claim_one", "heartbeat", "next_due", "detect_stuck", "monitor", "metrics"]
growth_rows = []
if levels:
    lo, hi = levels[0], levels[-1]
    for q in queries:
        vals = [med("growth", q, "exec_ms", lv) for lv in levels]
        bufs = [med("growth", q, "buffers", lv) for lv in levels]
        r = ratio(vals[-1], vals[0])
        growth_rows.append((q, vals, bufs, r))
        if q in ("claim_empty", "claim_one", "heartbeat", "detect_stuck", "monitor", "metrics"):
            target(f"growth: {q} at {hi:,} vs {lo:,} rows", fmt(r, "×"), "≤ 2×",
                   None if r is None else r <= 2)
    summary["growth"] = {q: {"levels": levels, "exec_ms": v, "buffers": b} for q, v, b, _ in growth_rows}
    loads = {lv: med("growth", "insert", "load_s", lv) for lv in levels}

# ---- latency, idle
p50, p95 = med("latency", "scrape_jobs", "p50_ms"), med("latency", "scrape_jobs", "p95_ms")
if p50 is not None:
    row("latency", "scrape_jobs", "submit → request at nginx, p50 (ms)", fmt(p50),
        f"p95 {fmt(p95)} ms; {int(sum(values('latency', 'scrape_jobs', 'seen')))} single-page submits in "
        f"{rounds_of('latency', 'scrape_jobs', 'p50_ms')} rounds (median of the rounds' percentiles)")
    target("latency p50", fmt(p50, " ms"), "< 20 ms", p50 < 20)
qps = med("idle", "scrape_jobs", "qps")
if qps is not None:
    secs = med("idle", "scrape_jobs", "seconds")
    wq = med("idle", "scrape_jobs", "worker_queries")
    lq = med("idle", "scrape_jobs", "launcher_queries")
    fn = open(os.path.join(out_dir, "idle_functions.txt")).read().strip() if \
        os.path.exists(os.path.join(out_dir, "idle_functions.txt")) else ""
    row("idle", "whole cluster", f"transactions/s over {fmt(secs, nd=0)} s idle", fmt(qps, nd=3),
        f"{fmt(med('idle', 'scrape_jobs', 'xacts'), nd=0)} transactions, "
        f"{fmt(med('idle', 'scrape_jobs', 'table_scans'), nd=0)} scans of the extension's tables; "
        f"fetch workers that ran a query: {fmt(wq, nd=0)}; launcher: {fmt(lq, nd=0)}; "
        f"tables autovacuumed or autoanalyzed meanwhile: {fmt(med('idle', 'scrape_jobs', 'autovacuum_tables'), nd=0)}; "
        f"function calls: {fn or 'none'}")
    mp = med("idle", "scrape_jobs", "monitor_passes") or 0
    ext_qps = ((wq or 0) + mp) / secs if secs else None
    row("idle", "scrape_jobs", "extension's own queries/s", fmt(ext_qps, nd=3),
        f"fetch workers: {fmt(wq, nd=0)} queries; launcher: {fmt(mp, nd=0)} monitor pass(es) "
        f"(one transaction each: scrape_monitor() and the metric counters' upsert) in {fmt(secs, nd=0)} s; "
        "the cluster's other transactions in that window are autovacuum's")
    target("idle: fetch workers", f"{fmt(wq, nd=0)} queries", "0 queries/s",
           None if wq is None else wq == 0)
    target("idle: the extension (launcher's monitor included)", fmt(ext_qps, " queries/s", nd=3),
           "0 queries/s", None if ext_qps is None else ext_qps == 0)

# ---- memory
mem_labels = sorted({r["tool"] for r in rows if r["scenario"] == "memory" and r["tool"] != "bench"})
for lb in mem_labels:
    hwm = med("memory", lb, "vmhwm_kb")
    anon = med("memory", lb, "rss_anon_peak_kb")
    row("memory", lb, "worker peak RssAnon (MiB)", fmt(anon / 1024 if anon else None, nd=1),
        f"VmHWM {fmt(hwm / 1024 if hwm else None, nd=1)} MiB (includes shared buffers touched); "
        f"stored {fmt(med('memory', lb, 'stored_s'))} s, completed {fmt(med('memory', lb, 'wall_s'))} s, "
        f"{fmt(med('memory', lb, 'pages_done'), nd=0)} pages done")
    if lb.startswith("huge") and anon is not None:
        bound = 32 * 1024 * 2 + 64 * 1024 + 64 * 1024      # kB
        target("memory: 1 MiB pages, peak RssAnon", fmt(anon / 1024, " MiB", nd=1),
               "≤ 192 MiB (32 transfers × 1 MiB × 2 + 64 MiB unwritten results + 64 MiB base)",
               anon <= bound)
    elif anon is not None:
        flat = med("memory", lb, "anon_second_half_ratio")
        target(f"memory: {lb}, RssAnon 2nd half ÷ 1st half peak", fmt(flat, "×"),
               "≤ 1.2× (no growth with the session's length)", None if flat is None else flat <= 1.2)

# ------------------------------------------------------------- markdown --
md = []
md.append("# Benchmarks")
md.append("")
md.append("Issues 7 and 16's benchmark: scrape_jobs against a tuned pg-boss worker, Crawlee's "
          "CheerioCrawler, Scrapy and the machine's own limits (`curl --parallel`, `COPY`), "
          "side by side in one run, on one machine. Produced by `bash bench/run.sh` "
          "(see the top of that file); raw figures in `bench/out/` (results.csv, "
          "summary.json, plans and logs). Every figure is the median of the rounds; "
          "ratios are of medians of the same run.")
md.append("")
md.append("## Machine and run")
md.append("")
md.append(f"- {machine.get('nproc')} cores ({machine.get('cpu')}), {machine.get('memory')} of memory, "
          f"Linux {machine.get('kernel')}")
md.append(f"- PostgreSQL {machine.get('postgres')}, nginx {machine.get('nginx')}, curl {machine.get('curl')}, "
          f"Node.js {machine.get('node')}, pg-boss {machine.get('pgboss')}, Crawlee {machine.get('crawlee')}, "
          f"Scrapy {machine.get('scrapy')} (Debian's, the system Python)")
md.append(f"- extension at commit {machine.get('commit')}; WAL fdatasync {machine.get('fdatasync')} "
          "(pg_test_fsync)")
md.append(f"- run {machine.get('run')} ({machine.get('date')}), {machine.get('rounds')} rounds, "
          f"scenarios: {machine.get('scenarios')}; whole run "
          f"{fmt(med('all', 'bench', 'total_s'), ' s', nd=0)}")
md.append(f"- site (bench/gen_site.py, seed {site['seed']}): {site['big_pages']:,} HTML pages "
          f"(an index linking to all and {site['big_pages'] - 1:,} pages of "
          f"{site['big_min_bytes'] / 1024:.0f}–{site['big_max_bytes'] / 1024:.0f} KiB, "
          f"average {site['big_avg_bytes'] / 1024:.1f} KiB, 24–48 same-host links each, "
          f"{site['big_bytes'] / 1048576:.1f} MiB in all), {site['small_pages']:,} pages of 200 bytes, "
          "a 1 MiB page; served by nginx on 127.0.0.1 (2 worker processes, keep-alive)")
md.append(f"- one cluster for every tool (bench/cluster.conf): 2 fetch workers × 32 transfers, "
          f"per_host_max_connections = 64 (default 8), robots.txt off, fsync on, "
          f"synchronous_commit on, shared_buffers 512MB; other settings at their defaults "
          f"(batch_size 100, monitor_interval 30s). The competitors use concurrency "
          f"{machine.get('concurrency')} as well: curl `--parallel-max`, Crawlee min = max "
          f"concurrency; pg-boss: batchSize 50 × localConcurrency 4 (up to 200 fetches at once), "
          f"LISTEN/NOTIFY, burst fetching, one INSERT per page through a pool of 8 connections.")
md.append("")
if targets16:
    md.append("## Targets (issue 16): what a user waits for")
    md.append("")
    md.append("Submit to `completed`, stages included (\"completed\"), unless the target names "
              "\"stored\" (submit to the last page's result committed).")
    md.append("")
    md.append("| what | measured | target | result |")
    md.append("|---|---|---|---|")
    for t in targets16:
        md.append(f"| {t[0]} | {t[1]} | {t[2]} | {t[3]} |")
    md.append("")
md.append("## Targets (issue 7): kept")
md.append("")
md.append("| what | measured | target | result |")
md.append("|---|---|---|---|")
for t in targets:
    md.append(f"| {t[0]} | {t[1]} | {t[2]} | {t[3]} |")
md.append("")
md.append("## Medians and ratios")
md.append("")
md.append("| scenario | tool | figure | median | notes |")
md.append("|---|---|---|---|---|")
for t in table:
    md.append(f"| {t[0]} | {t[1]} | {t[2]} | {t[3]} | {t[4]} |")
md.append("")
if growth_rows:
    md.append("### Growth: query times with finished rows in the tables")
    md.append("")
    md.append("Execution time (ms, `EXPLAIN (ANALYZE, BUFFERS)`, median of 20 runs after a "
              "warm-up, each in a transaction rolled back) and shared buffers touched, with N "
              "finished jobs, sessions, pages and history rows loaded. `claim_empty`: "
              "`_scrape_claim` with nothing pending; `claim_one`: with one pending page (a "
              "`scrape_submit_urls` in the same transaction); `heartbeat`: `_scrape_heartbeat` "
              "of that job; `detect_stuck`: `scrape_detect_stuck()`; `monitor`: "
              "`scrape_monitor()` (stuck detection and a history-pruning batch); `metrics`: "
              "`scrape_metrics()`. Load times (bulk INSERT + VACUUM ANALYZE): " +
              ", ".join(f"{lv:,}: {fmt(loads[lv], ' s', nd=1)}" for lv in levels) + ".")
    md.append("")
    md.append("| query | " + " | ".join(f"{lv:,} rows" for lv in levels) + " | ratio |")
    md.append("|---|" + "---|" * len(levels) + "---|")
    for q, vals, bufs, r in growth_rows:
        cells = [f"{fmt(v, ' ms')} ({fmt(b, nd=0)} buf)" for v, b in zip(vals, bufs)]
        md.append(f"| {q} | " + " | ".join(cells) + f" | {fmt(r, '×')} |")
    md.append("")
md.append("![wall times per scenario and tool: scrape_jobs completed, stages included](benchmarks.png)")
md.append("")
md.append("## How each figure is measured")
md.append("")
md.append("""- **list**: `scrape_submit_urls(ARRAY[...])` of every page of the site; *stored* runs
  from the `clock_timestamp()` before the submit to the moment a polling procedure (5 ms,
  committing between polls so it holds no snapshot) sees the job leave the `scraping`
  stage, i.e. the transaction that stored the last page has committed; *completed* is when
  `scrape_wait()` returned, after the extracting and creating_products stages (which
  re-parse every page). pg-boss: the 4 workers are polling before the clock starts; the
  clock runs from `boss.insert()` of every job to every job `completed` in `pgboss.job`
  (polled every 5 ms once the handler has stored them all). curl: `curl --parallel
  --parallel-max 64 --config` of every URL to /dev/null. COPY: server-side `COPY bench_copy
  (url, body) FROM` a file of every body (a table without indexes; TOAST compression as for
  the pages). Before each timed run, of every tool, the bench waits until no autovacuum
  worker is busy (at most 60 s: the clean-up of the run before, mostly the dead page
  versions of a batch-1 session) and runs a `CHECKPOINT`.
- **batch**: the list scenario with `scrape_jobs.batch_size` 100 and then 1 (`ALTER SYSTEM`
  + `pg_reload_conf()`): pages claimed and results written per transaction (and page rows
  per INSERT at submit).
- **small**: the same with 10,000 pages of 200 bytes; pg-boss with a handler that does
  nothing but return (the jobs are acknowledged: the queue's own overhead), and with fetch +
  INSERT as in the list scenario; curl as in the list scenario, over the 10,000 small URLs
  (what fetching them costs with no queue at all).
- **crawl**: `scrape_submit(index, 'crawl', total_pages => N + 10, options =>
  '{"scope": "host", "max_depth": 5}')`, timed as the list scenario; Crawlee:
  `CheerioCrawler` (no browser), `enqueueLinks({strategy: 'same-hostname'})` in the request
  handler, in-memory storage, nothing stored, no `maxRequestsPerCrawl` (the site is finite;
  with it set, Crawlee 3.18.1 slowed to about 3 s a request here, a 190 s crawl); the time of
  `crawler.run()`, at concurrency 64 (min = max = desired) and with Crawlee's own autoscaling.
  Scrapy (bench/scrapy_bench.py): a spider that follows every link its `LinkExtractor`
  finds within the start URL's host (`allowed_domains`, `DEPTH_LIMIT` 5),
  `CONCURRENT_REQUESTS` 64, robots off, nothing stored; the time of its crawl.
- **Scrapy in list**: the same URLs as start requests, the page's title read with its
  selector, `CONCURRENT_REQUESTS` 64, robots off, nothing stored.
- **hosts, hosts1000**: one list of 50 hosts (127.0.0.2-51) × 40 small pages, or 1,000 hosts
  (127.0.1.1-127.0.4.250) × 5, host by host, with `per_host_delay` 100 ms and
  `per_host_max_connections` 1; the ideal is (pages − 1) × 100 ms. Scrapy with
  `DOWNLOAD_DELAY` 0.1 (no randomisation), `CONCURRENT_REQUESTS_PER_DOMAIN` 1, the
  downloader-aware priority queue and a global concurrency as large as the list. The
  claim's cost: in a transaction rolled back, a submit of hosts × pages pending URLs, then
  `EXPLAIN ANALYZE` of `_scrape_claim` of 100 with every host passed as busy (as a worker
  passes the hosts whose pages wait in its backlog) and with none, median of 20.
- **scale**: a crawl of 100,000 generated pages (bench/gen_site.py `--scale`: about 1.5 KB
  each, 24-48 links to random pages of the set) from the first page, `total_pages` 100,000,
  `max_depth` 20, one round; the pages/s of the first tenth of the pages done (from the
  submit) and of the last tenth (by the result writes' `fetched_at`); the workers' RssAnon
  sampled as in memory; and `_scrape_discover` of one page whose links are 24 of the
  session's URLs and 12 new ones, in a transaction rolled back, with auto_explain of its
  statements, for a crawl of the same site capped at 1,000 pages and for the 100,000-page one
  (plans in `bench/out/scale_discovery_plans.txt`).
- **memory**: the workers' peak RSS (`VmHWM` of /proc/PID/status, reset through
  `/proc/PID/clear_refs` before the session; it counts the shared buffers the worker
  touched) and the peak of `RssAnon` (private memory) sampled every 100 ms, over a session of
  10,000 URLs of the site (each page several times, with `?m=N`) and over 200 pages of
  exactly 1 MiB with `scrape_jobs.max_body_size = '1MB'`.
- **latency**: 50 single-page `scrape_submit()` per round, one at a time (each waited for,
  then 100–200 ms idle); from the `clock_timestamp()` before the submit to the request's
  arrival at nginx (`$msec - $request_time` of the access log, millisecond resolution).
- **idle**: after a `VACUUM ANALYZE`, with no autovacuum worker running, and after the
  launcher's last monitor pass following the warm-up session (the pass that saves the final
  counts; waited for, at most `monitor_interval`), over 30 s with nothing to do: the fetch workers' and the launcher's `pg_stat_activity.query_start`, the
  extension's functions called (`track_functions = pl` during the window), scans of its
  tables, and `xact_commit + xact_rollback` of the database in `pg_stat_database` less what a
  reading itself adds (measured with no wait). The extension's own queries/s counts the
  workers' queries and the launcher's monitor passes (`scrape_monitor()`, every
  `monitor_interval` = 30 s while anything can need it; none while idle). The cluster's transaction count also has autovacuum's (it
  analyzes `pg_statistic` after the `VACUUM ANALYZE`, for one).
- **growth**: finished rows bulk-inserted with `generate_series` (one job, session, page and
  `job_history` row each, finished within the last 6 days), then `VACUUM ANALYZE`; the
  levels count the rows added, on top of those the earlier scenarios left (about 55,000
  pages and 200 sessions in a full run); the plans
  of the nested statements at the largest size are in `bench/out/growth_plans.txt`
  (auto_explain).""")
md.append("")
notes_path = os.path.join(bench_dir, "notes.md")
if os.path.exists(notes_path):
    md.append(open(notes_path).read().rstrip())
    md.append("")
os.makedirs(os.path.dirname(os.path.abspath(md_path)), exist_ok=True)
with open(md_path, "w") as f:
    f.write("\n".join(md))
with open(os.path.join(out_dir, "summary.json"), "w") as f:
    json.dump(summary, f, indent=1)

# ---------------------------------------------------------------- chart --
dat = os.path.join(out_dir, "chart.dat")
x = 0
with open(dat, "w") as f:
    for group, label, secs, colour in chart:
        if group and x:
            x += 0.6
        if secs is not None:
            f.write(f'{x:.1f} "{label}" {secs:.4f} {colour} "{group}"\n')
        x += 1
if os.path.getsize(dat):
    sub = (f"{machine.get('nproc')} cores, PostgreSQL {machine.get('postgres')}, "
           f"{site['big_pages']:,} pages of avg {site['big_avg_bytes'] / 1024:.0f} KiB / "
           f"{site['small_pages']:,} pages of 200 B, run {machine.get('run')}")
    subprocess.run(["gnuplot", "-e", f"datafile='{dat}'; outfile='{png_path}'; subtitle='{sub}'",
                    os.path.join(bench_dir, "chart.gp")], check=True)
print(f"report: {md_path}, {png_path}")
