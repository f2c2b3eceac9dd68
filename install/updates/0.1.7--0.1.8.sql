/*
 * install/updates/0.1.7--0.1.8.sql
 *
 * 0.1.8 (issue 21, hostile tenants and hostile sites):
 */
