// A node --test reporter that writes the ten slowest test files (the sum of their top-level tests'
// durations, which include before() hooks run for the first test) to its destination, so a CI run
// can tell where its time went without disturbing the spec reporter's output and summary.
export default async function* slowestTestFiles(source) {
  const byFile = new Map();
  for await (const event of source) {
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.nesting === 0 && event.data.file) {
      byFile.set(event.data.file, (byFile.get(event.data.file) ?? 0) + (event.data.details?.duration_ms ?? 0));
    }
  }
  const root = `${process.cwd()}/`;
  const rows = [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 10);
  yield 'The ten slowest test files (sum of their top-level tests):\n';
  for (const [file, ms] of rows) yield `${(ms / 1000).toFixed(1).padStart(8)} s  ${file.startsWith(root) ? file.slice(root.length) : file}\n`;
}
