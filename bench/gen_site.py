#!/usr/bin/env python3
"""Generate the benchmark's static site (deterministic: seeded RNG).

    gen_site.py OUTDIR [--seed 42] [--pages 1200] [--small 10000] [--scale 0]

Writes under OUTDIR:
  www/site/index.html        links to every page of the big site
  www/site/p/NNNNN.html      --pages linked HTML pages, 10-100 KB each, 24-48
                             same-host links each (relative), some with a
                             schema.org Product in JSON-LD
  www/small/NNNNN.html       --small tiny pages (~200 bytes)
  www/huge.html              one page of exactly 1 MiB (served as /huge/*)
  www/scale/NNNNNN.html      --scale small pages (about 1.5 KB) for the
                             100,000-page crawl, 24-48 same-host links each
                             (relative) to random pages of their own set
  bodies.tsv                 url<TAB>body of every big-site page, in COPY
                             text format (for the COPY bound); URLs are
                             relative (/site/...), run.sh prefixes the base
  urls_big.txt, urls_small.txt   paths, one a line (index first)
  site.json                  counts and sizes
"""
import argparse
import json
import os
import random

WORDS = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod "
         "tempor incididunt ut labore et dolore magna aliqua enim ad minim veniam "
         "quis nostrud exercitation ullamco laboris nisi aliquip ex ea commodo "
         "consequat duis aute irure in reprehenderit voluptate velit esse cillum "
         "fugiat nulla pariatur excepteur sint occaecat cupidatat non proident sunt "
         "culpa qui officia deserunt mollit anim id est laborum garden kettle "
         "lantern bicycle harbour walnut copper meadow pepper violin saddle").split()


def sentence(rng, n):
    w = [rng.choice(WORDS) for _ in range(n)]
    w[0] = w[0].capitalize()
    return " ".join(w) + "."


def paragraph(rng):
    return " ".join(sentence(rng, rng.randint(8, 18)) for _ in range(rng.randint(3, 7)))


def page_size(rng):
    # 10-100 KB, skewed to the small end (median ~22 KB, mean ~30 KB)
    return min(int(10240 * 10 ** (rng.random() ** 1.6)), 98 * 1024)


def copy_escape(s):
    return (s.replace("\\", "\\\\").replace("\t", "\\t")
             .replace("\n", "\\n").replace("\r", "\\r"))


def big_page(rng, i, n_pages, target):
    title = f"Item {i:05d}: {sentence(rng, 4)[:-1]}"
    links = sorted(rng.sample(range(1, n_pages + 1), rng.randint(24, 48)))
    head = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>",
        '<meta charset="utf-8">',
        f"<title>{title}</title>",
        f'<meta name="description" content="{sentence(rng, 14)}">',
        f'<link rel="canonical" href="/site/p/{i:05d}.html">',
        f'<meta property="og:title" content="{title}">',
        '<link rel="stylesheet" href="/static/site.css">',
    ]
    if i % 4 == 0:
        price = f"{rng.randint(1, 500)}.{rng.randint(0, 99):02d}"
        head.append('<script type="application/ld+json">' + json.dumps({
            "@context": "https://schema.org", "@type": "Product",
            "name": title, "sku": f"SKU-{i:05d}",
            "offers": {"@type": "Offer", "price": price, "priceCurrency": "EUR",
                       "availability": "https://schema.org/InStock"}}) + "</script>")
    head += ["</head>", "<body>", '<header><nav><ul>',
             '<li><a href="/site/index.html">Home</a></li>']
    head += [f'<li><a href="/site/p/{j:05d}.html">Section {j}</a></li>' for j in links[:8]]
    head += ["</ul></nav></header>", f"<main><h1>{title}</h1>"]
    tail = ['<section class="related"><h2>Related</h2><ul>']
    tail += [f'<li><a href="/site/p/{j:05d}.html">{sentence(rng, 3)[:-1]}</a></li>'
             for j in links[8:]]
    tail += ["</ul></section></main>",
             f"<footer><p>Page {i} of {n_pages}. {sentence(rng, 10)}</p></footer>",
             "</body>", "</html>", ""]
    body = []
    size = sum(len(x) + 1 for x in head + tail)
    while size < target:
        p = f'<p class="text">{paragraph(rng)}</p>'
        body.append(p)
        size += len(p) + 1
    return "\n".join(head + body + tail)


def scale_page(rng, i, n):
    # links like the big site's (24-48 random same-host pages), little text:
    # the crawl's cost is its frontier, not its bytes
    links = sorted(rng.sample(range(1, n + 1), rng.randint(24, 48)))
    return "\n".join(
        ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
         f"<title>Scale {i:06d}</title></head><body>", f"<h1>Scale {i:06d}</h1>",
         f"<p>{sentence(rng, 12)}</p>", "<ul>"] +
        [f'<li><a href="/scale/{j:06d}.html">{j}</a></li>' for j in links] +
        ["</ul></body></html>", ""])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--pages", type=int, default=1200)
    ap.add_argument("--small", type=int, default=10000)
    ap.add_argument("--scale", type=int, default=0)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    www = os.path.join(a.outdir, "www")
    os.makedirs(os.path.join(www, "site", "p"), exist_ok=True)
    os.makedirs(os.path.join(www, "small"), exist_ok=True)
    os.makedirs(os.path.join(www, "static"), exist_ok=True)

    urls_big = ["/site/index.html"]
    sizes = []
    with open(os.path.join(a.outdir, "bodies.tsv"), "w", encoding="utf-8", newline="\n") as tsv:
        idx = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
               "<title>Benchmark site index</title></head><body><h1>All pages</h1><ul>"]
        idx += [f'<li><a href="/site/p/{i:05d}.html">Item {i:05d}</a></li>'
                for i in range(1, a.pages + 1)]
        idx += ["</ul></body></html>", ""]
        idx = "\n".join(idx)
        with open(os.path.join(www, "site", "index.html"), "w") as f:
            f.write(idx)
        tsv.write(f"/site/index.html\t{copy_escape(idx)}\n")
        sizes.append(len(idx.encode()))
        for i in range(1, a.pages + 1):
            html = big_page(rng, i, a.pages, page_size(rng))
            path = f"/site/p/{i:05d}.html"
            with open(os.path.join(www, path.lstrip("/")), "w") as f:
                f.write(html)
            tsv.write(f"{path}\t{copy_escape(html)}\n")
            urls_big.append(path)
            sizes.append(len(html.encode()))

    urls_small = []
    for i in range(1, a.small + 1):
        path = f"/small/{i:05d}.html"
        html = (f'<!DOCTYPE html><html><head><title>Tiny {i}</title></head><body>'
                f'<p>{sentence(rng, 12)}</p></body></html>\n')
        html = html.ljust(200, " ")[:200] if len(html) < 200 else html
        with open(os.path.join(www, path.lstrip("/")), "w") as f:
            f.write(html)
        urls_small.append(path)

    # (a generator of its own: the other pages stay those of the same seed)
    srng = random.Random(a.seed + 1)
    if a.scale:
        os.makedirs(os.path.join(www, "scale"), exist_ok=True)
    for i in range(1, a.scale + 1):
        with open(os.path.join(www, "scale", f"{i:06d}.html"), "w") as f:
            f.write(scale_page(srng, i, a.scale))

    # exactly 1 MiB of HTML (scrape_jobs.max_body_size = '1MB' keeps it)
    mib = 1024 * 1024
    parts = ["<!DOCTYPE html><html><head><title>Huge</title></head><body>\n"]
    n = len(parts[0])
    while n < mib - 4000:
        p = f"<p>{paragraph(rng)}</p>\n"
        parts.append(p)
        n += len(p)
    end = "</body></html>\n"
    huge = "".join(parts)
    huge = huge + "<!--" + "x" * (mib - len(huge) - len(end) - 7) + "-->" + end
    assert len(huge.encode()) == mib, len(huge.encode())
    with open(os.path.join(www, "huge.html"), "w") as f:
        f.write(huge)
    with open(os.path.join(www, "static", "site.css"), "w") as f:
        f.write("body{font-family:sans-serif}\n")

    with open(os.path.join(a.outdir, "urls_big.txt"), "w") as f:
        f.write("\n".join(urls_big) + "\n")
    with open(os.path.join(a.outdir, "urls_small.txt"), "w") as f:
        f.write("\n".join(urls_small) + "\n")
    info = {"seed": a.seed, "big_pages": len(urls_big), "big_bytes": sum(sizes),
            "big_avg_bytes": sum(sizes) // len(sizes), "big_min_bytes": min(sizes[1:]),
            "big_max_bytes": max(sizes), "small_pages": len(urls_small),
            "huge_bytes": mib, "scale_pages": a.scale}
    with open(os.path.join(a.outdir, "site.json"), "w") as f:
        json.dump(info, f)
    print(json.dumps(info))


if __name__ == "__main__":
    main()
