-- The extension can live in a schema of the user's choice.
DROP EXTENSION scrape_jobs;
CREATE SCHEMA "Scrape Space";
CREATE EXTENSION scrape_jobs SCHEMA "Scrape Space";

SELECT "Scrape Space".scrape_submit('http://e.example/') AS sid \gset
SELECT status, stage FROM "Scrape Space".scrape_status(:sid);
SELECT "Scrape Space".scrape_cancel(:sid);
SELECT "Scrape Space".scrape_wait(:sid, '10 ms');
SELECT extname, extnamespace::regnamespace, extrelocatable
  FROM pg_extension WHERE extname = 'scrape_jobs';

DROP EXTENSION scrape_jobs;
DROP SCHEMA "Scrape Space";
