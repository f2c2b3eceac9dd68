#!/usr/bin/env python3
"""Check the notifications a psql session printed (test/run.sh, suite
"notify").  On the public channels (scrape_jobs_progress,
scrape_jobs_alerts) a payload names a session, a job or an alert and says
nothing else: any role can LISTEN there.  On the workspace's own channel
(scrape_channel(), here the one of the sessions without a workspace) the
session it LISTENed to went through its stages in order, each stage change
notified, progress never going back, at most one progress notification a
second between stage changes, and the alert's notification says what it
is.

Input: psql's output, with lines such as
  Asynchronous notification "scrape_jobs_progress" with payload "{...}" received from ...
and lines "sid=N" and "channel=NAME" naming the session and the channel."""
import json
import re
import sys

NOTE = re.compile(r'^Asynchronous notification "([^"]+)" with payload "(.*)" received from')
text = sys.stdin.read()
sid = int(re.search(r"^sid=(\d+)$", text, re.M).group(1))
channel = re.search(r"^channel=(scrape_jobs_[0-9a-f]{32})$", text, re.M).group(1)
public_progress, public_alerts, private, other = [], [], [], []
for line in text.splitlines():
    m = NOTE.match(line)
    if m:
        payload = json.loads(m.group(2))
        {"scrape_jobs_progress": public_progress, "scrape_jobs_alerts": public_alerts,
         channel: private}.get(m.group(1), other).append(payload)
failures = []


def check(cond, what):
    print(("ok - " if cond else "not ok - ") + what)
    if not cond:
        failures.append(what)


check(not other, "no notification on another channel: %s" % other)
check(public_progress and all(set(p) == {"session_id", "job_id"} for p in public_progress),
      "the public progress payloads carry ids only: %s" % public_progress[:2])
check(len(public_alerts) == 1 and set(public_alerts[0]) == {"alert_id", "job_id", "session_id"},
      "the public alert payload carries ids only: %s" % public_alerts)
mine = [p for p in private if p.get("event") == "progress" and p["session_id"] == sid]
alerts = [p for p in private if p.get("event") == "alert"]
# (PostgreSQL folds the identical payloads of one transaction into one: the
# public ones of a session are identical, so there may be fewer of them)
public_mine = [p for p in public_progress if p["session_id"] == sid]
check(1 <= len(public_mine) <= len(mine),
      "the public channel named the session too (%d public, %d in full)"
      % (len(public_mine), len(mine)))
stages = [p["stage"] for p in mine]
changes = [s for i, s in enumerate(stages) if i == 0 or stages[i - 1] != s]
check(changes == ["scraping", "extracting", "creating_products", "done"],
      "stage changes notified in order: %s" % changes)
check(mine and mine[-1]["status"] == "completed" and mine[-1]["progress"] == 100,
      "the last notification says completed, 100")
check(all(a["progress"] <= b["progress"] for a, b in zip(mine, mine[1:])),
      "progress never goes back: %s" % [p["progress"] for p in mine])
check(mine and set(mine[0]) == {"event", "session_id", "job_id", "status", "stage", "progress",
                                "pages_known", "pages_done", "pages_failed"},
      "the workspace payload's fields")
# a few dozen pages in well under a second each stage: throttled to one
# notification a second, the count stays near the number of stage changes
check(mine and len(mine) <= 12,
      "throttled: %d notifications for %d pages" % (len(mine), mine[-1]["pages_known"] if mine else 0))
check(len(alerts) == 1 and set(alerts[0]) == {"event", "alert_id", "kind", "job_id", "session_id",
                                              "message"}
      and alerts[0]["kind"] == "job_stuck" and alerts[0]["message"] == "a notification test"
      and alerts[0]["alert_id"] == public_alerts[0]["alert_id"],
      "the alert on the workspace channel: %s" % alerts)
sys.exit(1 if failures else 0)
