/** How long opening a trace file took, step by step (the status line shows it; the benchmark reads it). */
export interface ImportMetrics {
  name: string;
  events: number;
  readMs: number;
  parseMs: number;
  deriveMs: number;
  /** From choosing the file to the first frame that shows its rows. */
  totalMs: number;
}
