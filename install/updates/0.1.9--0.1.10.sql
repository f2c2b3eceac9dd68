/*
 * install/updates/0.1.9--0.1.10.sql
 *
 * 0.1.10: _scrape_claim checks again, when it locks its candidates, that
 * they are due.  A candidate read as due could meanwhile be claimed,
 * fetched and given a retry's backoff by another worker, and the claim
 * then took it at once: a retry ran before its backoff was over.  Only
 * the function body changes (the parts replace it); no table changes.
 */
