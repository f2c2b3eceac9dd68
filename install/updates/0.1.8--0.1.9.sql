/*
 * install/updates/0.1.8--0.1.9.sql
 *
 * 0.1.9 (issue 14, item 6, a worker's backlog): a claim takes no page of
 * the hosts of which the worker's backlog already holds what they can
 * start soon (_scrape_claim and _scrape_session_turns take p_full_hosts),
 * and a worker whose backlog is full hands back the pages beyond that
 * (_scrape_return_pages), so that one tenant's slow hosts cannot fill the
 * backlogs of every worker while other sessions wait.
 */

-- Their arguments change (install/README.md, rule 4).
DROP FUNCTION @extschema@._scrape_claim(bigint, integer, text[]);
DROP FUNCTION @extschema@._scrape_session_turns(bigint, integer, text[]);
