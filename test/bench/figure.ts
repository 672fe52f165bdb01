// One measured figure, as a tab-separated line that test/bench/run.sh collects into the
// table it prints at the end and into BENCHMARKS.md.
export function figure(what: string, value: string, target = ''): void {
  console.log(`FIGURE\t${what}\t${value}\t${target}`);
}

/** The p-th percentile of samples (sorted here, nearest rank), NaN without any. */
export const percentile = (xs: readonly number[], p: number): number =>
  xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]! : NaN;
