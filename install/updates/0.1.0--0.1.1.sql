/*
 * install/updates/0.1.0--0.1.1.sql
 *
 * 0.1.1 documents every table, view, column and function with COMMENT ON
 * (install/comments.sql, applied after this file like every function
 * part).  No table changes.
 */
