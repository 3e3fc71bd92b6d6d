// A node:test reporter that prints one closing line CI can read: "N passed, N failed, N skipped".
// Suites are not counted, only the tests in them. Before it, the slowest test files with the sum
// of their top-level tests' times, beside the per-file limit (a file near it fails on a slower machine).
export default async function* summary(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const perFile = new Map();
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const data = event.data;
    if (data.nesting === 0 && data.file && data.details?.duration_ms) {
      perFile.set(data.file, (perFile.get(data.file) ?? 0) + data.details.duration_ms);
    }
    if (data.details?.type === 'suite') continue;
    if (data.skip || data.todo) skipped++;
    else if (event.type === 'test:pass') passed++;
    else failed++;
  }
  const limit = Number(process.env.ORCHESTRATOR_TEST_TIMEOUT_MS ?? 0);
  const slowest = [...perFile].sort((a, b) => b[1] - a[1]).slice(0, 5);
  if (slowest.length > 0) {
    yield `\n# slowest files${limit ? ` (limit ${limit / 1000} s each)` : ''}: ${slowest.map(([file, ms]) => `${file.split('/').pop()} ${(ms / 1000).toFixed(0)} s`).join(', ')}\n`;
  }
  yield `\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
}
