// The fixtures' expected answers (fixtures/src/**/*.expected.json): types and a loader shared
// by the fixture tests and the end-to-end tests.
import { readFileSync } from 'node:fs';

export interface Caller {
  marker: string;
  file: string;
  line: number;
  allocations: number;
  liveBlocks: number;
  liveBytes: number;
}

export interface Site extends Caller {
  sizes?: number[];
  liveSizes?: number[];
  callers?: Caller[];
}

export interface RuntimeBlock {
  size: number;
  live: boolean;
}

export interface Run {
  args?: string[];
  env?: Record<string, string>;
  exitCode?: number;
  stdout?: string;
  returns?: Record<string, number>;
  program: {
    allocations: number;
    frees: number;
    liveBlocks: number;
    liveBytes: number;
    peakBytes?: number;
    sites: Site[];
  };
  runtime?: { allocations: number; liveBlocks: number; liveBytes: number; blocks?: RuntimeBlock[] };
  tally?: string;
  rtrace?: {
    afterRun: { allocs: number; frees: number; liveBlocks: number };
    afterCollect: { allocs: number; frees: number; liveBlocks: number; livePayloadBytes: number };
  };
}

export interface Expected {
  fixture: string;
  source: string;
  builds: Record<string, Record<string, unknown>>;
  runs: Run[];
}

/** The shape tests use for one run of a fixture. */
export type ExpectedRun = Run & { args: string[]; env: Record<string, string> };

/** Reads an expected.json; runs get default args ([fixture]) and env ({}). */
export function loadExpected(path: string): Expected & { runs: ExpectedRun[] } {
  const expected = JSON.parse(readFileSync(path, 'utf8')) as Expected;
  return {
    ...expected,
    runs: expected.runs.map((r) => ({ ...r, args: r.args ?? [expected.fixture], env: r.env ?? {} })),
  };
}
