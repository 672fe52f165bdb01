// One measured figure, as a tab-separated line that test/bench/run.sh collects into the
// table it prints at the end and into BENCHMARKS.md.
export function figure(what: string, value: string, target = ''): void {
  console.log(`FIGURE\t${what}\t${value}\t${target}`);
}
