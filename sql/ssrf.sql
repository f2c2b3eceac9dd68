-- The SSRF rules, address by address (no network involved).  The test
-- cluster turns allow_private_networks on for its HTTP server; the default
-- (off) is what a production server runs with.
SET scrape_jobs.allow_private_networks = off;

SELECT address, scrape_check_address(address) AS refused
  FROM (VALUES ('169.254.169.254'), ('10.1.2.3'), ('172.16.0.1'),
               ('172.31.255.255'), ('192.168.1.1'), ('100.64.0.1'),
               ('127.0.0.1'), ('127.255.255.254'), ('0.0.0.0'),
               ('224.0.0.1'), ('255.255.255.255'), ('192.0.2.1'),
               ('::'), ('::1'), ('fe80::1'), ('fc00::1'), ('fd12:3456::1'),
               ('ff02::1'), ('::ffff:127.0.0.1'), ('::ffff:169.254.169.254'),
               ('64:ff9b::a9fe:a9fe'), ('2002:7f00:1::1'), ('::127.0.0.1'),
               ('93.184.216.34'), ('8.8.8.8'), ('172.32.0.1'),
               ('2606:4700:4700::1111')) AS t(address);

-- allowed_hosts makes exceptions, by range or by host name
SET scrape_jobs.allowed_hosts = '10.0.0.0/8, intranet.example, .corp.example';
SELECT scrape_check_address('10.9.9.9') AS range_allowed,
       scrape_check_address('192.168.0.1', 'intranet.example') AS host_allowed,
       scrape_check_address('192.168.0.1', 'wiki.corp.example') AS subdomain_allowed,
       scrape_check_address('192.168.0.1', 'corp.example') AS domain_allowed,
       scrape_check_address('192.168.0.1', 'evilcorp.example') AS lookalike;

-- denied_hosts wins over everything
SET scrape_jobs.allow_private_networks = on;
SET scrape_jobs.denied_hosts = '8.8.8.0/24, metadata.google.internal, 10.9.0.0/16';
SELECT scrape_check_address('8.8.8.8') AS denied_range,
       scrape_check_address('1.2.3.4', 'metadata.google.internal') AS denied_host,
       scrape_check_address('10.9.1.1') AS denied_over_allowed,
       scrape_check_address('192.168.0.1') AS private_allowed_now;

-- bad lists and addresses are refused with a clear message
SET scrape_jobs.denied_hosts = '10.0.0.0/33';
SET scrape_jobs.allowed_hosts = 'exa mple.com';
SELECT scrape_check_address('not an address');

-- only a superuser may change the rules
CREATE ROLE regress_scrape_ssrf;
SET ROLE regress_scrape_ssrf;
SET scrape_jobs.allow_private_networks = on;
SET scrape_jobs.allowed_hosts = '0.0.0.0/0';
RESET ROLE;
DROP ROLE regress_scrape_ssrf;
RESET scrape_jobs.allow_private_networks;
RESET scrape_jobs.allowed_hosts;
RESET scrape_jobs.denied_hosts;

-- More IPv6 forms that reach an IPv4 host or a private site:
-- IPv4-translated ::ffff:0:0:0/96, Teredo 2001::/32 (that is 2001:0::/32),
-- site-local fec0::/10, each at both ends; the addresses beside the first
-- two are allowed, those beside fec0::/10 are refused by their own rules
-- (link-local fe80::/10 below, multicast ff00::/8 above).
SET scrape_jobs.allow_private_networks = off;
SELECT address, scrape.scrape_check_address(address) AS refused
  FROM (VALUES ('::ffff:0:0:0'), ('::ffff:0:7f00:1'), ('::ffff:0:ffff:ffff'),
               ('::fffe:ffff:ffff:ffff'), ('::ffff:1:0:0'),
               ('2001::'), ('2001:0:4136:e378:8000:63bf:3fff:fdd2'),
               ('2001:0:ffff:ffff:ffff:ffff:ffff:ffff'), ('2001:1::1'),
               ('2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff'),
               ('fec0::'), ('fec0::1'), ('feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'),
               ('febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff'), ('ff00::')) AS t(address);

-- Host names match as libcurl resolves them: its IDNA mapping to ASCII
-- (fullwidth letters, the ideographic full stop), no trailing dot, lower
-- case, percent-escapes decoded.  libcurl maps in the locale of the
-- database (C.UTF-8 in the test clusters); in "C" such names are refused.
SET scrape_jobs.denied_hosts = 'denied.test';
SELECT host, scrape.scrape_check_address('93.184.216.34', host) AS refused
  FROM (VALUES ('denied.test'), ('denied.test.'), ('denied.test..'),
               ('DENIED.TEST'), ('ＤＥＮＩＥＤ.test'), ('denied。test'),
               ('denied.test。'), ('d%65nied.test'), ('notdenied.test'),
               ('denied.test.evil'), ('a.denied.test'),
               ('evil.test/@denied.test')) AS t(host);

-- the lists' entries are read the same way
SET scrape_jobs.denied_hosts = 'ＤＥＮＩＥＤ。test., .Example.COM., bücher.example';
SELECT host, scrape.scrape_check_address('93.184.216.34', host) AS refused
  FROM (VALUES ('denied.test'), ('a.example.com.'), ('example.com'),
               ('evilexample.com'), ('xn--bcher-kva.example'),
               ('BÜCHER.example')) AS t(host);
SET scrape_jobs.allowed_hosts = 'Intranet.Example.';
SELECT scrape.scrape_check_address('10.0.0.1', 'intranet.example') AS allowed_plain,
       scrape.scrape_check_address('10.0.0.1', 'ｉｎｔｒａｎｅｔ.example.') AS allowed_fullwidth,
       scrape.scrape_check_address('10.0.0.1', 'intranet.example.evil') AS other_refused;
RESET scrape_jobs.allow_private_networks;
RESET scrape_jobs.allowed_hosts;
RESET scrape_jobs.denied_hosts;
