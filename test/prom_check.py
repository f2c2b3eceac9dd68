#!/usr/bin/env python3
"""Strict checker of the Prometheus text exposition format, version 0.0.4.

Standard library only.  The extension's metrics endpoint is scraped by real
Prometheus servers, whose parser drops a whole scrape on one bad line and
silently mis-ingests duplicates; this script lets the tests fail on the first
such mistake instead.  Usage:

    python3 prom_check.py [FILE|-] [--require name1,name2,...]
    python3 prom_check.py --selftest

Reads FILE (default: standard input).  On success prints
``ok: N families, M samples`` and exits 0; otherwise prints one
``line L: message`` per problem (all to standard output) and exits 1.
--require NAMES also fails unless every listed family is declared (has a
# TYPE line; a declared family may legitimately have no samples yet).

Checked, following the 0.0.4 specification and the reference Go parser:
  * the input is UTF-8 and ends with a newline; blank lines are allowed;
    lines starting with '#' other than '# HELP' / '# TYPE' are comments.
  * '# HELP name text' (non-empty text, only \\\\ and \\n escapes) and
    '# TYPE name counter|gauge|histogram|summary|untyped': at most one of
    each per name, both before the family's first sample.
  * metric names match [a-zA-Z_:][a-zA-Z0-9_:]*; label names match
    [a-zA-Z_][a-zA-Z0-9_]* and do not start with '__'; label values are
    double-quoted with only \\\\, \\" and \\n escapes; no label name twice in
    one sample; no series (name + label set) twice.
  * sample: name[{labels}] value [timestamp]; the value parses as a Go float
    (decimal, hex with p exponent, [+-]Inf, Infinity, NaN; no overflow); the
    timestamp is a 64-bit integer (milliseconds).
  * sample names: the family name for counter, gauge and untyped;
    name (with a quantile label in [0, 1]), name_sum, name_count for a
    summary; name_bucket (with an le label), name_sum, name_count for a
    histogram.  Every sample needs a declared family.
  * the lines of one family are contiguous: a family may not reappear once
    another has started.
  * counters, _count samples and histogram buckets are >= 0 and not NaN;
    histogram buckets are cumulative (non-decreasing by le), include
    le="+Inf", and that bucket equals _count; every histogram and summary
    series has _sum and _count.
"""

import argparse
import math
import re
import sys

TYPES = ("counter", "gauge", "histogram", "summary", "untyped")
METRIC_NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
DEC_FLOAT_RE = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\Z")
HEX_FLOAT_RE = re.compile(r"[+-]?0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?\d+\Z")
INT_RE = re.compile(r"[+-]?\d+\Z")
BLANKS = " \t"
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1


def go_float(text):
    """The value of text as Go's strconv.ParseFloat(text, 64) reads it, or None."""
    low = text.lower()
    if low in ("inf", "+inf", "infinity", "+infinity"):
        return math.inf
    if low in ("-inf", "-infinity"):
        return -math.inf
    if low == "nan":
        return math.nan
    if DEC_FLOAT_RE.match(text):
        value = float(text)
    elif HEX_FLOAT_RE.match(text):
        sign = -1.0 if text[0] == "-" else 1.0
        body = text.lstrip("+-")
        mant, _, exp = body[2:].lower().partition("p")
        if "." not in mant:
            mant += "."
        try:
            value = sign * float.fromhex("0x%sp%s" % (mant, exp))
        except OverflowError:
            return None
    else:
        return None
    if math.isinf(value):  # finite syntax that overflows: ParseFloat's ErrRange
        return None
    return value


def fmt_labels(labels):
    return "{%s}" % ",".join('%s="%s"' % kv for kv in labels)


class Family:
    def __init__(self, name, line):
        self.name = name
        self.first_line = line
        self.help_line = None
        self.type_line = None
        self.type = None
        self.samples = 0
        self.closed = False
        self.groups = {}  # histogram/summary: labels without le/quantile -> parts


class Checker:
    def __init__(self):
        self.errors = []
        self.families = {}
        self.current = None      # the family whose lines are being read
        self.series = {}         # (name, frozenset labels) -> line
        self.samples = 0

    def error(self, lineno, msg):
        self.errors.append((lineno, msg))

    # ---- family bookkeeping ----------------------------------------------

    def enter(self, fam, lineno):
        """Make fam the current family; complain if it is reappearing."""
        if self.current is fam:
            return True
        if fam.closed:
            self.error(lineno, "family %s reappears after other families "
                       "(its lines must be contiguous; first seen at line %d)"
                       % (fam.name, fam.first_line))
            return False
        if self.current is not None:
            self.current.closed = True
        self.current = fam
        return True

    def family_for(self, name, lineno):
        fam = self.families.get(name)
        if fam is None:
            fam = self.families[name] = Family(name, lineno)
        return fam

    # ---- lines -----------------------------------------------------------

    def check(self, data):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            lineno = data[:exc.start].count(b"\n") + 1
            self.error(lineno, "input is not valid UTF-8 (%s)" % exc.reason)
            return
        if text and not text.endswith("\n"):
            self.error(text.count("\n") + 1, "input does not end with a newline")
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        for lineno, line in enumerate(lines, 1):
            if "\r" in line:
                self.error(lineno, "carriage return in line (lines end with \\n only)")
                continue
            stripped = line.lstrip(BLANKS)
            if not stripped:
                continue
            if stripped.startswith("#"):
                self.comment(stripped, lineno)
            else:
                self.sample(stripped, lineno)
        self.finish()

    def comment(self, line, lineno):
        tokens = line[1:].lstrip(BLANKS)
        if line[1:2] not in (" ", "\t"):
            return  # '#HELP' etc.: a plain comment
        keyword, rest = re.match(r"([^ \t]*)(.*)", tokens).groups()
        if keyword not in ("HELP", "TYPE"):
            return
        rest = rest.lstrip(BLANKS)
        m = METRIC_NAME_RE.match(rest)
        if not m:
            self.error(lineno, "# %s without a valid metric name" % keyword)
            return
        name = m.group(0)
        after = rest[m.end():]
        if after and after[0] not in BLANKS:
            self.error(lineno, "# %s: invalid metric name %r" % (keyword, rest.split()[0]))
            return
        after = after.lstrip(BLANKS)
        fam = self.family_for(name, lineno)
        if not self.enter(fam, lineno):
            return
        if keyword == "HELP":
            if fam.help_line is not None:
                self.error(lineno, "second HELP for %s (first at line %d)" % (name, fam.help_line))
                return
            fam.help_line = lineno
            if fam.samples:
                self.error(lineno, "HELP for %s after its first sample" % name)
            if not after:
                self.error(lineno, "HELP for %s has no text" % name)
            for esc in re.finditer(r"\\(.?)", after):
                if esc.group(1) not in ("\\", "n"):
                    self.error(lineno, "HELP for %s: invalid escape %r (only \\\\ and \\n)"
                               % (name, esc.group(0)))
                    break
        else:
            if fam.type_line is not None:
                self.error(lineno, "second TYPE for %s (first at line %d)" % (name, fam.type_line))
                return
            fam.type_line = lineno
            kind = after.rstrip(BLANKS)
            if kind not in TYPES:
                self.error(lineno, "TYPE for %s: %r is not one of %s" % (name, kind, "|".join(TYPES)))
                kind = "untyped"
            if fam.samples:
                self.error(lineno, "TYPE for %s after its first sample" % name)
            fam.type = kind

    def parse_labels(self, line, pos, lineno):
        """Parse '{...}' at line[pos]; return (labels list, end position) or None."""
        labels = []
        pos += 1
        n = len(line)

        def skip(p):
            while p < n and line[p] in BLANKS:
                p += 1
            return p

        pos = skip(pos)
        while True:
            if pos < n and line[pos] == "}":
                return labels, pos + 1
            m = LABEL_NAME_RE.match(line, pos)
            if not m:
                self.error(lineno, "invalid label name at column %d" % (pos + 1))
                return None
            lname = m.group(0)
            pos = skip(m.end())
            if pos >= n or line[pos] != "=":
                self.error(lineno, "expected '=' after label name %s" % lname)
                return None
            pos = skip(pos + 1)
            if pos >= n or line[pos] != '"':
                self.error(lineno, "label value of %s must be double-quoted" % lname)
                return None
            pos += 1
            value = []
            while True:
                if pos >= n:
                    self.error(lineno, "unterminated label value of %s" % lname)
                    return None
                c = line[pos]
                if c == '"':
                    pos += 1
                    break
                if c == "\\":
                    nxt = line[pos + 1:pos + 2]
                    if nxt not in ("\\", '"', "n"):
                        self.error(lineno, "label %s: invalid escape %r (only \\\\, \\\" and \\n)"
                                   % (lname, "\\" + nxt))
                        return None
                    value.append("\n" if nxt == "n" else nxt)
                    pos += 2
                    continue
                value.append(c)
                pos += 1
            labels.append((lname, "".join(value)))
            pos = skip(pos)
            if pos < n and line[pos] == ",":
                pos = skip(pos + 1)
                continue
            if pos < n and line[pos] == "}":
                return labels, pos + 1
            self.error(lineno, "expected ',' or '}' after the value of label %s" % lname)
            return None

    def sample(self, line, lineno):
        m = METRIC_NAME_RE.match(line)
        if not m:
            self.error(lineno, "invalid metric name at start of sample line")
            return
        name = m.group(0)
        pos = m.end()
        labels = []
        if pos < len(line) and line[pos] not in BLANKS + "{":
            self.error(lineno, "invalid character %r in metric name" % line[pos])
            return
        brace = pos
        while brace < len(line) and line[brace] in BLANKS:
            brace += 1
        if brace < len(line) and line[brace] == "{":
            parsed = self.parse_labels(line, brace, lineno)
            if parsed is None:
                return
            labels, pos = parsed
        rest = line[pos:]
        if rest and rest[0] not in BLANKS:
            self.error(lineno, "expected a blank before the value")
            return
        fields = rest.split()
        if not fields:
            self.error(lineno, "sample %s has no value" % name)
            return
        if len(fields) > 2:
            self.error(lineno, "unexpected text after the timestamp: %r" % " ".join(fields[2:]))
            return
        value = go_float(fields[0])
        if value is None:
            self.error(lineno, "value %r is not a valid float" % fields[0])
            return
        if len(fields) == 2:
            ts = fields[1]
            if not INT_RE.match(ts) or not INT64_MIN <= int(ts) <= INT64_MAX:
                self.error(lineno, "timestamp %r is not a 64-bit integer" % ts)
                return
        self.samples += 1

        ok = True
        seen = set()
        for lname, _ in labels:
            if lname.startswith("__"):
                self.error(lineno, "label name %s is reserved (starts with __)" % lname)
                ok = False
            if lname in seen:
                self.error(lineno, "label %s given twice" % lname)
                ok = False
            seen.add(lname)
        key = (name, frozenset(labels))
        if ok:
            if key in self.series:
                self.error(lineno, "duplicate series %s%s (first at line %d)"
                           % (name, fmt_labels(sorted(labels)), self.series[key]))
                ok = False
            else:
                self.series[key] = lineno

        fam, suffix = self.resolve(name)
        if fam is None:
            self.error(lineno, "sample %s has no # HELP / # TYPE before it" % name)
            return
        if not self.enter(fam, lineno):
            return
        fam.samples += 1
        if fam.help_line is None and fam.samples == 1:
            self.error(lineno, "family %s has no # HELP before its first sample" % fam.name)
        if ok:
            self.check_sample(fam, suffix, dict(labels), value, lineno)

    def resolve(self, name):
        """(declared family, suffix) a sample name belongs to, or (None, None)."""
        fam = self.families.get(name)
        if fam is not None and fam.type is not None:
            return fam, ""
        for suffix, kinds in (("_bucket", ("histogram",)), ("_sum", ("histogram", "summary")),
                              ("_count", ("histogram", "summary"))):
            if name.endswith(suffix):
                base = self.families.get(name[:-len(suffix)])
                if base is not None and base.type in kinds:
                    return base, suffix
        return None, None

    def check_sample(self, fam, suffix, labels, value, lineno):
        name = fam.name + suffix
        kind = fam.type
        if kind == "counter" and (math.isnan(value) or value < 0):
            self.error(lineno, "counter %s has value %r (must be >= 0, not NaN)" % (name, value))
        if kind not in ("histogram", "summary"):
            return
        if suffix == "" and kind == "histogram":
            self.error(lineno, "histogram %s: sample without _bucket/_sum/_count suffix" % name)
            return
        special = "le" if kind == "histogram" else "quantile"
        has_special = suffix in ("_bucket", "")
        if has_special and special not in labels:
            self.error(lineno, "%s %s needs a %s label" % (kind, name, special))
            return
        if not has_special and special in labels:
            self.error(lineno, "%s %s must not have a %s label" % (kind, name, special))
            return
        group_key = frozenset((k, v) for k, v in labels.items() if k != special)
        group = fam.groups.setdefault(group_key, {"line": lineno, "buckets": {}, "sum": None,
                                                  "count": None})
        if suffix == "_sum":
            group["sum"] = value
        elif suffix == "_count":
            group["count"] = (value, lineno)
            if math.isnan(value) or value < 0:
                self.error(lineno, "%s has value %r (must be >= 0, not NaN)" % (name, value))
        else:
            bound = go_float(labels[special])
            if bound is None or math.isnan(bound):
                self.error(lineno, "%s label %s=%r is not a float" % (name, special, labels[special]))
                return
            if kind == "summary":
                if not 0 <= bound <= 1:
                    self.error(lineno, "%s quantile %s is outside [0, 1]" % (name, labels[special]))
                return
            if math.isnan(value) or value < 0:
                self.error(lineno, "%s has value %r (must be >= 0, not NaN)" % (name, value))
            if bound in group["buckets"]:
                self.error(lineno, "%s: bucket le=%s given twice (first at line %d)"
                           % (name, labels[special], group["buckets"][bound][1]))
                return
            group["buckets"][bound] = (value, lineno)

    def finish(self):
        for fam in self.families.values():
            if fam.type is None:
                where = fam.help_line or fam.first_line
                self.error(where, "family %s has no # TYPE" % fam.name)
            elif fam.help_line is None and fam.samples == 0:
                self.error(fam.type_line, "family %s has no # HELP" % fam.name)
            if fam.type not in ("histogram", "summary"):
                continue
            for key, group in fam.groups.items():
                desc = fam.name + fmt_labels(sorted(key))
                line = group["line"]
                if group["sum"] is None:
                    self.error(line, "%s %s has no _sum" % (fam.type, desc))
                if group["count"] is None:
                    self.error(line, "%s %s has no _count" % (fam.type, desc))
                if fam.type != "histogram":
                    continue
                buckets = sorted(group["buckets"].items())
                if math.inf not in group["buckets"]:
                    self.error(line, "histogram %s has no le=\"+Inf\" bucket" % desc)
                elif group["count"] is not None and group["count"][0] != group["buckets"][math.inf][0]:
                    self.error(group["count"][1], "histogram %s: _count %r differs from the "
                               "le=\"+Inf\" bucket %r" % (desc, group["count"][0],
                                                          group["buckets"][math.inf][0]))
                for (b1, (v1, _)), (b2, (v2, l2)) in zip(buckets, buckets[1:]):
                    if v2 < v1:
                        self.error(l2, "histogram %s: bucket le=%g (%r) is below le=%g (%r): "
                                   "buckets must be cumulative" % (desc, b2, v2, b1, v1))

    def declared(self):
        return sorted(n for n, f in self.families.items() if f.type is not None)


def run(data, require=()):
    """(errors sorted by line, summary line) for one input."""
    checker = Checker()
    checker.check(data)
    declared = set(checker.declared())
    for name in require:
        if name not in declared:
            checker.error(0, "required family %s is missing" % name)
    errors = sorted(checker.errors, key=lambda e: e[0])
    return errors, "ok: %d families, %d samples" % (len(declared), checker.samples)


# ---- self test ------------------------------------------------------------

GOOD = r'''# HELP scrape_jobs_fetches_total Fetches done, by outcome.
# TYPE scrape_jobs_fetches_total counter
scrape_jobs_fetches_total{outcome="ok"} 12
scrape_jobs_fetches_total{outcome="error",reason="a \"quoted\" \\ back\nslash",} 0 1700000000000

# a plain comment
# HELP scrape_jobs_queue_depth Jobs waiting.\nSecond line \\ here.
# TYPE scrape_jobs_queue_depth gauge
scrape_jobs_queue_depth -Inf
# HELP scrape_jobs_fetch_seconds Fetch duration.
# TYPE scrape_jobs_fetch_seconds histogram
scrape_jobs_fetch_seconds_bucket{le="0.1"} 1
scrape_jobs_fetch_seconds_bucket{le="1"} 3
scrape_jobs_fetch_seconds_bucket{le="+Inf"} 4
scrape_jobs_fetch_seconds_sum 5.5
scrape_jobs_fetch_seconds_count 4
# HELP rpc_latency Latency quantiles.
# TYPE rpc_latency summary
rpc_latency{quantile="0.5"} NaN
rpc_latency{quantile="0.99"} 0x1.8p1
rpc_latency_sum 1e3
rpc_latency_count 7
# HELP up_ish Untyped.
# TYPE up_ish untyped
up_ish { job = "x" } +inf
# HELP empty_vec Declared, no samples yet.
# TYPE empty_vec counter
'''

HEADER = "# HELP m help\n# TYPE m counter\n"
BAD = [  # (input, expected substring of an error)
    ("m 1\n", "no # HELP / # TYPE"),
    ("# TYPE m counter\nm 1\n", "no # HELP"),
    ("# HELP m help\nm 1\n", "no # HELP / # TYPE"),
    (HEADER + "m 1\n# TYPE m counter\n", "second TYPE"),
    (HEADER + "# HELP m again\n", "second HELP"),
    ("# HELP m help\n# TYPE m gauge2\nm 1\n", "is not one of"),
    (HEADER + "m 1", "does not end with a newline"),
    (HEADER + "m{1a=\"x\"} 1\n", "invalid label name"),
    (HEADER + "m{__x=\"x\"} 1\n", "reserved"),
    (HEADER + "m{a=\"x\",a=\"y\"} 1\n", "given twice"),
    (HEADER + "m{a=\"x\\t\"} 1\n", "invalid escape"),
    (HEADER + "m{a=x} 1\n", "double-quoted"),
    (HEADER + "m{a=\"x\"} 1\nm{a=\"x\"} 2\n", "duplicate series"),
    (HEADER + "m 1,5\n", "not a valid float"),
    (HEADER + "m 1e999\n", "not a valid float"),
    (HEADER + "m 1 1.5\n", "not a 64-bit integer"),
    (HEADER + "m 1 2 3\n", "after the timestamp"),
    (HEADER + "m -1\n", "must be >= 0"),
    (HEADER + "m NaN\n", "must be >= 0"),
    (HEADER + "m_total 1\n", "no # HELP / # TYPE"),
    (HEADER + "m 1\n# HELP n h\n# TYPE n gauge\nn 1\nm{a=\"b\"} 2\n", "reappears"),
    (HEADER + "m 1\r\n", "carriage return"),
    ("# HELP 1m help\n", "valid metric name"),
    ("# HELP m bad \\t escape\n# TYPE m gauge\nm 1\n", "invalid escape"),
    ("# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_sum 1\nh_count 2\n", "+Inf"),
    ("# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 3\nh_bucket{le=\"+Inf\"} 2\n"
     "h_sum 1\nh_count 2\n", "cumulative"),
    ("# HELP h h\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n", "differs"),
    ("# HELP h h\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 2\n", "no _sum"),
    ("# HELP h h\n# TYPE h histogram\nh_bucket 2\nh_sum 1\nh_count 2\n", "needs a le label"),
    ("# HELP h h\n# TYPE h histogram\nh 2\n", "without _bucket"),
    ("# HELP s s\n# TYPE s summary\ns{quantile=\"1.5\"} 2\ns_sum 1\ns_count 2\n", "outside [0, 1]"),
    ("# HELP s s\n# TYPE s summary\ns_bucket{le=\"1\"} 2\n", "no # HELP / # TYPE"),
    ("# HELP s s\n# TYPE s summary\ns_sum{quantile=\"0.5\"} 1\n", "must not have a quantile"),
    (b"# HELP m \xff\n".decode("latin-1"), "UTF-8"),
]


def selftest():
    failures = 0
    errors, summary = run(GOOD.encode(), require=["scrape_jobs_queue_depth", "empty_vec"])
    if errors or summary != "ok: 6 families, 13 samples":
        failures += 1
        print("FAIL: good input: %s %s" % (summary, errors))
    else:
        print("ok: good input (%s)" % summary)
    errors, _ = run(GOOD.encode(), require=["no_such_family"])
    if not any("required family no_such_family" in msg for _, msg in errors):
        failures += 1
        print("FAIL: --require of a missing family passed")
    else:
        print("ok: --require of a missing family fails")
    for text, want in BAD:
        data = text.encode("latin-1") if "\xff" in text else text.encode()
        errors, _ = run(data)
        if any(want in msg for _, msg in errors):
            print("ok: rejected (%s): %r" % (want, text[-40:]))
        else:
            failures += 1
            print("FAIL: expected %r for %r, got %s" % (want, text, errors))
    if not go_float("0x1p-2") == 0.25 or go_float("-Infinity") != -math.inf \
            or go_float("+NaN") is not None or go_float("1_000") is not None:
        failures += 1
        print("FAIL: go_float corner cases")
    print("selftest: %s" % ("FAILED (%d)" % failures if failures else "passed"))
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file", nargs="?", default="-", help="exposition text (default: stdin)")
    ap.add_argument("--require", default="", help="comma-separated families that must be declared")
    ap.add_argument("--selftest", action="store_true")
    args = ap.parse_args()
    if args.selftest:
        return selftest()
    require = [n.strip() for n in args.require.split(",") if n.strip()]
    for name in require:
        if not METRIC_NAME_RE.fullmatch(name):
            ap.error("--require: %r is not a metric name" % name)
    if args.file == "-":
        data = sys.stdin.buffer.read()
    else:
        with open(args.file, "rb") as f:
            data = f.read()
    errors, summary = run(data, require)
    for lineno, msg in errors:
        print("line %d: %s" % (lineno, msg) if lineno else "error: %s" % msg)
    if errors:
        print("failed: %d error%s" % (len(errors), "" if len(errors) == 1 else "s"))
        return 1
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
