/**
 * The messages between the benchmark and the bot process it forks (scripts/bench/child.mjs,
 * plain JavaScript over the compiled app, as `npm start` runs it).
 *
 * IPC: the child sends { type: 'ready' }; the parent sends { type: 'mem', gc } and gets
 * { type: 'mem', ... }; { type: 'stop' } stops the bot and ends the process.
 */

export interface ChildInit {
  mode: 'app' | 'bare';
  token: string;
  apiRoot: string;
  databaseUrl: string;
  /** more settings for the app (e.g. the flood limits) */
  env?: Record<string, string>;
}

export interface ChildMemory {
  type: 'mem';
  rssMB: number;
  heapUsedMB: number;
  heapTotalMB: number;
  externalMB: number;
  arrayBuffersMB: number;
  /** highest RSS of the child process so far (getrusage maxrss) */
  maxRssMB: number;
  gcRan: boolean;
  /** CPU time of the process so far (user + system), ms */
  cpuMs: number;
}
