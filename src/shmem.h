/*-------------------------------------------------------------------------
 * shmem.h
 *	  State shared by the launcher, the fetch workers and user backends.
 *
 * Shared memory holds only what must be seen across processes without a
 * query: where to find each worker's latch (to wake it at COMMIT), what
 * each worker is doing (for scrape_workers()), and a condition variable
 * that scrape_wait() sleeps on.  Durable state lives in the tables.
 *-------------------------------------------------------------------------
 */
#ifndef SCRAPE_SHMEM_H
#define SCRAPE_SHMEM_H

#include "port/atomics.h"
#include "storage/condition_variable.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "utils/timestamp.h"

#include "version.h"

typedef enum ScrapeWorkerState
{
	SCRAPE_WORKER_UNUSED = 0,
	SCRAPE_WORKER_STARTING,
	SCRAPE_WORKER_IDLE,			/* waiting for work, runs no queries */
	SCRAPE_WORKER_FETCHING,		/* transfers in flight */
	SCRAPE_WORKER_WRITING		/* inside a queue transaction */
} ScrapeWorkerState;

typedef struct ScrapeWorkerSlot
{
	pid_t		pid;
	uint64		token;			/* identifies this incarnation in claimed_by */
	Latch	   *latch;
	ScrapeWorkerState state;
	int			inflight;		/* transfers running now */
	int64		current_job;	/* a job it holds pages of, or 0 */
	uint64		claims;			/* claim passes run (idle test reads it) */
	uint64		pages_fetched;
	TimestampTz started_at;
	TimestampTz last_activity;
} ScrapeWorkerSlot;

/* A worker that exited abnormally, for the launcher to alert. */
#define SCRAPE_MAX_CRASHES 16
typedef struct ScrapeCrash
{
	int			slot;
	pid_t		pid;
	int			exit_code;
	TimestampTz at;
} ScrapeCrash;

typedef struct ScrapeShared
{
	LWLock	   *lock;			/* protects the slots and launcher fields */
	LWLock	   *hosts_lock;		/* protects the host table (breaker.c) */
	pid_t		launcher_pid;
	Latch	   *launcher_latch;
	/* what the launcher last found in pg_extension (ScrapeExtensionStatus) */
	int			ext_status;
	char		ext_installed[SCRAPE_VERSION_LEN];
	/* bumped (at COMMIT) when new work is queued */
	pg_atomic_uint64 work_generation;
	/* bumped (at COMMIT) when a job is cancelled or taken away */
	pg_atomic_uint64 cancel_generation;
	/* broadcast when a session reaches a final state */
	ConditionVariable session_done_cv;
	/* the alerter (alerts.c), woken at COMMIT when an alert is recorded */
	Latch	   *alerter_latch;
	/* abnormal worker exits not yet alerted (under lock) */
	int			ncrashes;
	ScrapeCrash crashes[SCRAPE_MAX_CRASHES];
	int			nslots;
	ScrapeWorkerSlot slots[FLEXIBLE_ARRAY_MEMBER];
} ScrapeShared;

extern ScrapeShared *ScrapeState;

extern void ScrapeShmemInstallHooks(void);
extern void ScrapeWakeWorkers(void);
extern void ScrapeWakeLauncher(void);
extern void ScrapeWakeOnCommit(bool new_work, bool cancelled, bool session_done);
extern void ScrapeWakeAlerterOnCommit(void);

#endif							/* SCRAPE_SHMEM_H */
