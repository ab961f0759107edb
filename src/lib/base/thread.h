/* Threads of our own, beside a process's main work (a layer's read-ahead,
 * a blob's writer). */
#pragma once

#include <pthread.h>

/* Start fn(arg) on a thread that takes no signals: they stay with the
 * threads that were there, which wait for them, forward them or die of
 * them as they would without it. Returns 0 or pthread_create()'s error. */
int thread_start(pthread_t *thread, void *(*fn)(void *), void *arg);
