-- The URL helpers the queue and the crawl use (src/url.c).  They were
-- regular expressions in SQL; the C versions must give the same answers,
-- so each is compared with its former expression on awkward inputs.
CREATE TEMP TABLE u (url text);
INSERT INTO u VALUES
    ('http://example.com'), ('http://example.com/'), ('https://Example.COM:8443/a/b?q=1#frag'),
    ('http://user:pw@host.example/x'), ('http://a@b@c.example/'), ('http://[::1]:8080/p'),
    ('http://[::1/x]y'), ('http://[abc'), ('http:///nohost'), ('http://h?q'), ('http://h#f'),
    ('HTTP://upper.example/'), ('ftp+x.y-z://h/p'), ('1http://h/'), ('http:/h'), ('mailto:a@b'),
    (''), ('http://h:80'), ('http://h/#'), ('http://h/a#b#c'), ('http://www.example.com/x/y'),
    ('http://ünï.example/ä');

SELECT count(*) AS differences
  FROM u
 WHERE _scrape_origin(url) IS DISTINCT FROM substring(url FROM '^[a-z][a-z0-9+.-]*://[^/?#]*')
    OR _scrape_path(url) IS DISTINCT FROM
       coalesce(nullif(substring(url FROM '^[a-z][a-z0-9+.-]*://[^/?#]*([^#]*)'), ''), '/')
    OR _scrape_host(url) IS DISTINCT FROM
       lower(substring(url FROM '^[a-z][a-z0-9+.-]*://(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)'));

SELECT url, _scrape_origin(url) AS origin, _scrape_path(url) AS path, _scrape_host(url) AS host
  FROM u ORDER BY url COLLATE "C";

-- Scope, against its former SQL definition, for every pair and scope.
CREATE TEMP TABLE s (seed text);
INSERT INTO s VALUES ('http://www.example.com/shop/index.html'), ('http://example.com/'),
    ('http://shop.example.com/a/b'), ('http://example.com'), ('nourl');
INSERT INTO u VALUES ('http://example.com/shop/item'), ('http://sub.example.com/'),
    ('http://badexample.com/'), ('http://www.example.com/shop/'), ('http://www.example.com/other');
SELECT count(*) AS differences
  FROM s, u, (VALUES ('host'), ('domain'), ('prefix'), (NULL)) AS sc(scope)
 WHERE _scrape_in_scope(s.seed, u.url, sc.scope) IS DISTINCT FROM (
    SELECT CASE coalesce(sc.scope, 'host')
        WHEN 'host' THEN _scrape_host(u.url) = _scrape_host(s.seed)
        WHEN 'domain' THEN
            _scrape_host(u.url) = regexp_replace(_scrape_host(s.seed), '^www\.', '')
            OR right(_scrape_host(u.url),
                     length(regexp_replace(_scrape_host(s.seed), '^www\.', '')) + 1)
               = '.' || regexp_replace(_scrape_host(s.seed), '^www\.', '')
        ELSE left(u.url, length(substring(s.seed FROM '^(.*/)'))) = substring(s.seed FROM '^(.*/)')
    END);
SELECT _scrape_in_scope('http://www.example.com/', 'http://a.example.com/x', 'domain') AS subdomain,
       _scrape_in_scope('http://example.com/a/', 'http://example.com/b', 'prefix') AS other_dir,
       _scrape_in_scope(NULL, 'http://example.com/', 'host') AS null_seed,
       _scrape_in_scope('http://example.com/', 'http://EXAMPLE.com/', NULL) AS default_host;
