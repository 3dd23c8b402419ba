/* gqcrt_pthread.h — a ready executor for Linux and other POSIX systems.
 *
 * Part of the hosted libgqcrt (not of the freestanding build); with glibc
 * before 2.34 also link -lpthread. Firmware without POSIX threads implements
 * gqcrt_executor itself (gqcrt_parallel.h).
 *
 *   const gqcrt_executor *ex = gqcrt_pthread_executor_start(2);
 *   model_set_executor(ex);      // decode steps now use two cores
 *   ...
 *   gqcrt_pthread_executor_stop();
 */
#ifndef GQCRT_PTHREAD_H
#define GQCRT_PTHREAD_H

#include "gqcrt_parallel.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GQCRT_PTHREAD_MAX_THREADS 16

/* Starts n_threads - 1 workers (the caller is the n-th) in static storage.
 * Returns NULL if n_threads is outside [1, GQCRT_PTHREAD_MAX_THREADS], a
 * thread cannot be created, or an executor is already running. Workers spin
 * briefly between tasks (a decode step issues them back to back), then
 * sleep. */
const gqcrt_executor *gqcrt_pthread_executor_start(int32_t n_threads);
/* Stops and joins the workers. */
void gqcrt_pthread_executor_stop(void);

#ifdef __cplusplus
}
#endif
#endif
