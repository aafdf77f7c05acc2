/** Seconds, from a text file read in milliseconds to a long scan or a slow LLM call. */
export const WORK_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** Seconds a job waited in the queue: NOTIFY pickups in milliseconds, polling in seconds, a backlog in hours. */
export const QUEUE_WAIT_SECONDS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14_400];

/** Seconds an HTTP request took: most in milliseconds, an upload of large files in seconds. */
export const HTTP_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
