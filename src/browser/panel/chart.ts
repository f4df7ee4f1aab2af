/**
 * The panel's chart (uPlot): traced current and peak bytes over time on the left axis, the
 * linear memory's size on the right one (it is usually far larger, and grows in 64 KiB pages).
 * Keeps the last `capacity` points.
 */
import uPlot from 'uplot';
import { formatBytes } from './format.js';

/** One sample of the timer. */
export interface MemoryPoint {
  /** Seconds since the panel opened. */
  t: number;
  current: number;
  peak: number;
  /** Bytes of linear memory, or null when unknown. */
  linear: number | null;
}

/** A scale from 0 to a bit above the largest value. */
const fromZero: uPlot.Range.Function = (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1];

/** The chart of one panel: a uPlot instance and the columns it draws. */
export class MemoryChart {
  private readonly plot: uPlot;
  private readonly data: [number[], number[], number[], (number | null)[]] = [[], [], [], []];

  constructor(
    target: HTMLElement,
    width: number,
    private readonly capacity = 600,
  ) {
    const bytesAxis = (_: uPlot, values: number[]) => values.map((v) => formatBytes(v));
    this.plot = new uPlot(
      {
        width,
        height: 170,
        legend: { show: true, live: false },
        cursor: { drag: { x: false, y: false } },
        // Both byte scales start at 0: a flat line at 198 KiB must not fill the chart's height.
        scales: { x: { time: false }, bytes: { range: fromZero }, linear: { range: fromZero } },
        axes: [
          { label: 's', size: 30 },
          { scale: 'bytes', values: bytesAxis, size: 64 },
          { scale: 'linear', side: 1, values: bytesAxis, size: 64, grid: { show: false } },
        ],
        series: [
          {},
          { label: 'traced current', scale: 'bytes', stroke: '#1565c0', width: 2, fill: 'rgba(21,101,192,0.12)' },
          { label: 'traced peak', scale: 'bytes', stroke: '#c62828', width: 1, dash: [4, 3] },
          { label: 'linear memory', scale: 'linear', stroke: '#6a1b9a', width: 1 },
        ],
      },
      this.data as uPlot.AlignedData,
      target,
    );
  }

  /** Adds a point and redraws. */
  push(p: MemoryPoint): void {
    const [t, current, peak, linear] = this.data;
    t.push(p.t);
    current.push(p.current);
    peak.push(p.peak);
    linear.push(p.linear);
    if (t.length > this.capacity) for (const column of this.data) column.shift();
    this.plot.setData(this.data as uPlot.AlignedData);
  }

  /** Points drawn so far. */
  get length(): number {
    return this.data[0].length;
  }

  /** Forgets the history (another instance was selected). */
  clear(): void {
    for (const column of this.data) column.length = 0;
    this.plot.setData(this.data as uPlot.AlignedData);
  }

  /** Follows a new panel width. */
  resize(width: number): void {
    this.plot.setSize({ width, height: 170 });
  }

  /** Removes the chart and its listeners. */
  destroy(): void {
    this.plot.destroy();
  }
}
