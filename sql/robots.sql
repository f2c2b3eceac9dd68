-- robots.txt (RFC 9309): the parser and matcher the crawler will use, with
-- the RFC's rules as a table of cases.
CREATE TEMP TABLE robots (name text, body text);
INSERT INTO robots VALUES
-- RFC 9309, 2.2.1: the group of the product token, else "*"
('groups', $r$
User-Agent: *
Disallow: *.gif$
Disallow: /example/
Allow: /publications/

User-Agent: foobot
Disallow:/
Allow:/example/page.html
Allow:/example/allowed.gif

User-Agent: barbot
User-Agent: bazbot
Disallow: /example/page.html

User-Agent: quxbot
$r$),
-- 2.2.2: longest match wins, allow wins a tie; wildcards and "$"
('matching', $r$
user-agent: *
allow: /example/page/
disallow: /example/page/disallowed.gif
disallow: /*.php$
allow: /fish*
disallow: /tie
allow: /tie
disallow: /%7Ejoe/
disallow: /%e2%82%ac
crawl-delay: 2.5
sitemap: https://www.example.com/sitemap.xml
$r$),
-- groups of one agent are merged; rules before any user-agent are ignored
('merged', $r$
disallow: /orphan
user-agent: scrape_jobs
disallow: /a
user-agent: other
disallow: /b
user-agent: SCRAPE_JOBS
disallow: /c
Sitemap: https://www.example.com/sitemap-2.xml.gz
$r$),
-- as real files are written (and google/robotstxt reads them): a Host and a
-- Crawl-delay line inside a run of user-agents do not end it, keys without
-- their colon or misspelt, an allowed index.html allows its directory
('real', $r$
User-agent: scrape_jobs
Host: www.shop.example
Crawl-delay: 2
User-agent: *
Dissallow: /cart
Disallow /checkout/
Disalow: /tmp/
Disallow: /archive/
Allow: /archive/index.html

User agent: nosy
Disallow: /
$r$),
('empty', ''),
('garbage', E'\x01\x02 this is not a robots file \n::::\nDisallow /nothing\n');

SELECT r.name, t.agent, t.path, c.allowed, c.rule
  FROM robots r
  JOIN (VALUES
    ('groups', 'foobot', '/example/page.html'),
    ('groups', 'foobot', '/example/allowed.gif'),
    ('groups', 'foobot', '/other'),
    ('groups', 'FooBot/2.1 (+https://foo.example/)', '/other'),
    ('groups', 'barbot', '/example/page.html'),
    ('groups', 'bazbot', '/example/page.html'),
    ('groups', 'bazbot', '/example/other.html'),
    ('groups', 'quxbot', '/example/page.html'),
    ('groups', 'otherbot', '/example/page.html'),
    ('groups', 'otherbot', '/publications/'),
    ('groups', 'otherbot', '/picture.gif'),
    ('groups', 'otherbot', '/picture.gif?size=2'),
    ('groups', 'otherbot', '/robots.txt'),
    ('matching', 'a', '/example/page/'),
    ('matching', 'a', '/example/page/disallowed.gif'),
    ('matching', 'a', '/index.php'),
    ('matching', 'a', '/folder/any.php'),
    ('matching', 'a', '/index.php?x=1'),
    ('matching', 'a', '/fish'),
    ('matching', 'a', '/fishheads/yummy.html'),
    ('matching', 'a', '/tie'),
    ('matching', 'a', '/~joe/index.html'),
    ('matching', 'a', '/%7ejoe/index.html'),
    ('matching', 'a', '/€'),
    ('merged', NULL, '/a'),
    ('merged', NULL, '/b'),
    ('merged', NULL, '/c'),
    ('merged', NULL, '/orphan'),
    ('real', NULL, '/cart'),
    ('real', 'otherbot', '/cart'),
    ('real', NULL, '/checkout/pay'),
    ('real', NULL, '/tmp/x'),
    ('real', NULL, '/archive/'),
    ('real', NULL, '/archive/index.html'),
    ('real', NULL, '/archive/2019/'),
    ('real', 'nosy', '/anything'),
    ('empty', NULL, '/anything'),
    ('garbage', NULL, '/nothing')
  ) AS t(name, agent, path) USING (name),
  LATERAL scrape_robots_check(r.body, t.path, t.agent) AS c
 ORDER BY r.name, t.path, t.agent;

SELECT crawl_delay FROM robots, scrape_robots_check(body, '/', 'a') WHERE name = 'matching';
SELECT crawl_delay FROM robots, scrape_robots_check(body, '/') WHERE name = 'real';
SELECT name, scrape_robots_sitemaps(body) FROM robots ORDER BY 1, 2;
-- the default User-Agent is scrape_jobs.user_agent ("scrape_jobs/0.1.0 ...")
SELECT allowed FROM robots, scrape_robots_check(body, '/c') WHERE name = 'merged';
-- a body over 500 KiB is read up to 500 KiB
SELECT allowed FROM scrape_robots_check(
    E'user-agent: *\n' || repeat(E'# filler\n', 70000) || E'disallow: /late\n', '/late');

-- The parse cache is keyed on the text itself: these two texts have the
-- same length and the same 32-bit hash (hash_any), and 0.1.7's cache, keyed
-- on those, gave the second the first one's verdict.
SELECT allowed FROM scrape_robots_check(E'User-agent: *\nDisallow: /\n#00033336\n', '/x');
SELECT allowed FROM scrape_robots_check(E'User-agent: *\nAllow: /\n#000000003fe\n', '/x');
