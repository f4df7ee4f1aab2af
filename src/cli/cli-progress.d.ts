// The part of cli-progress (which ships no types) that progress.ts uses.
declare module 'cli-progress' {
  export interface Options {
    format?: string;
    stream?: NodeJS.WritableStream;
    barsize?: number;
    hideCursor?: boolean;
    clearOnComplete?: boolean;
    stopOnComplete?: boolean;
    fps?: number;
    noTTYOutput?: boolean;
    formatValue?: (value: number, options: unknown, type: string) => string;
  }
  export class SingleBar {
    constructor(options: Options, preset?: object);
    start(total: number, startValue: number, payload?: Record<string, unknown>): void;
    update(value: number, payload?: Record<string, unknown>): void;
    setTotal(total: number): void;
    stop(): void;
  }
  export const Presets: { shades_classic: object; legacy: object; rect: object };
  const cliProgress: { SingleBar: typeof SingleBar; Presets: typeof Presets };
  export default cliProgress;
}
