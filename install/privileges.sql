/*
 * install/privileges.sql
 *
 * Privileges: nothing for PUBLIC.  An administrator grants what an
 * application role needs (README, "Privileges").  Runs last, in installs and
 * upgrades alike, so that every function a release adds is covered.
 */

DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure
          FROM pg_catalog.pg_proc p
          JOIN pg_catalog.pg_depend d
            ON d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
           AND d.objid = p.oid AND d.deptype = 'e'
          JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
         WHERE e.extname = 'scrape_jobs'
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
END;
$$;

-- Tell a running launcher (at COMMIT) that the extension now exists.
SELECT @extschema@._scrape_wake(true, false, false);
