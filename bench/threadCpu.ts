// CPU time of the calling thread, for the benchmarks' third ratio.
//
// Process CPU time (process.cpuUsage) also counts V8's background threads (concurrent GC,
// compilers), which do about the same work in a traced and an untraced run: in both numerator
// and denominator, they pull the ratio toward 1 (tree-sitter: 1.20-1.27 by process CPU where
// wall time said 1.30-1.37). Wall time counts time spent descheduled. The thread's own
// CPU time counts neither, and is what tracing adds to the program's own work.
import { readFileSync } from 'node:fs';

/**
 * Milliseconds of CPU the calling thread has used: the first field of Linux's
 * /proc/thread-self/schedstat (nanoseconds on a CPU). null where that file does not exist.
 * The kernel brings the figure up to date only at scheduler ticks and switches, and a read
 * costs tens of microseconds: meaningful over a run of tens of milliseconds or more, not over
 * many short ones.
 */
export function threadCpuMs(): number | null {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return null;
  }
}
