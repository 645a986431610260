// A node --test reporter that writes the ten slowest test files (the sum of their top-level tests'
// durations, which include before() hooks run for the first test) to its destination, so a CI run
// can tell where its time went without disturbing the spec reporter's output and summary.
// A test declared by a helper module (the e2e framework's describeE2E) is counted under its suite's
// name next to that module, so each e2e spec gets its own row.
export default async function* slowestTestFiles(source) {
  const root = `${process.cwd()}/`;
  const byFile = new Map();
  for await (const event of source) {
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.nesting === 0 && event.data.file) {
      const file = event.data.file.startsWith(root) ? event.data.file.slice(root.length) : event.data.file;
      const key = /\.(test|spec)\.[cm]?[jt]s$/.test(file) ? file : `${file}: ${event.data.name}`;
      byFile.set(key, (byFile.get(key) ?? 0) + (event.data.details?.duration_ms ?? 0));
    }
  }
  const rows = [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 10);
  yield 'The ten slowest test files (sum of their top-level tests; the lab chain and the other files run side by side):\n';
  for (const [file, ms] of rows) yield `${(ms / 1000).toFixed(1).padStart(8)} s  ${file}\n`;
}
