#!/usr/bin/env python3
"""Check the notifications a psql session printed (test/run.sh, suite
"notify"): the session it LISTENed to went through its stages in order,
each stage change notified, progress never going back, at most one
progress notification a second between stage changes, and the alert's
notification names the alert (and nothing it says).

Input: psql's output, with lines such as
  Asynchronous notification "scrape_jobs_progress" with payload "{...}" received from ...
and a line "sid=N" naming the session."""
import json
import re
import sys

NOTE = re.compile(r'^Asynchronous notification "([^"]+)" with payload "(.*)" received from')
text = sys.stdin.read()
sid = int(re.search(r"^sid=(\d+)$", text, re.M).group(1))
progress, alerts = [], []
for line in text.splitlines():
    m = NOTE.match(line)
    if m:
        payload = json.loads(m.group(2))
        (progress if m.group(1) == "scrape_jobs_progress" else alerts).append(payload)
mine = [p for p in progress if p["session_id"] == sid]
failures = []


def check(cond, what):
    print(("ok - " if cond else "not ok - ") + what)
    if not cond:
        failures.append(what)


stages = [p["stage"] for p in mine]
changes = [s for i, s in enumerate(stages) if i == 0 or stages[i - 1] != s]
check(changes == ["scraping", "extracting", "creating_products", "done"],
      "stage changes notified in order: %s" % changes)
check(mine and mine[-1]["status"] == "completed" and mine[-1]["progress"] == 100,
      "the last notification says completed, 100")
check(all(a["progress"] <= b["progress"] for a, b in zip(mine, mine[1:])),
      "progress never goes back: %s" % [p["progress"] for p in mine])
check(set(mine[0]) == {"session_id", "job_id", "status", "stage", "progress",
                       "pages_known", "pages_done", "pages_failed"},
      "the payload's fields")
# a few dozen pages in well under a second each stage: throttled to one
# notification a second, the count stays near the number of stage changes
check(len(mine) <= 12, "throttled: %d notifications for %d pages" % (len(mine), mine[-1]["pages_known"]))
check(len(alerts) == 1 and set(alerts[0]) == {"alert_id", "kind", "job_id", "session_id"}
      and alerts[0]["kind"] == "job_stuck", "the alert notification: %s" % alerts)
sys.exit(1 if failures else 0)
