// test/summary.js, the line CI counts: test cases passed, failed (a file failing outside its
// cases counts once), skipped; the failed ones named above that line; exit 1 when any failed.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const SCRIPT = path.resolve(__dirname, '../../../test/summary.js');
const summarize = (tap: string) => spawnSync(process.execPath, [SCRIPT, '--quiet'], { input: tap, encoding: 'utf8' });

t.test('counts the cases, names each failure above the last line, exits 1', async (t) => {
  const out = summarize(
    [
      '# Subtest: dist/test/a.test.js',
      '    # Subtest: first case',
      '    ok 1 - first case # time=12ms',
      '    not ok 2 - second case # time=30ms',
      '    ok 3 - third # SKIP no browser',
      'not ok 1 - dist/test/a.test.js # time=50ms',
      '# Subtest: dist/test/b.test.js',
      'not ok 2 - dist/test/b.test.js # time=5ms',
      '# Subtest: dist/test/c.test.js',
      '    ok 1 - only case',
      'ok 3 - dist/test/c.test.js',
    ].join('\n'),
  );
  const lines = out.stdout.trim().split('\n');
  t.equal(lines.at(-1), '2 passed, 2 failed, 1 skipped', 'the counted line is last');
  t.same(
    lines.filter((l) => l.startsWith('failed: ')),
    ['failed: dist/test/a.test.js: second case', 'failed: dist/test/b.test.js: outside its test cases'],
    'each failure named with its file',
  );
  t.equal(out.status, 1);
});

t.test('all green: no failure lines, exit 0', async (t) => {
  const out = summarize('# Subtest: x.js\n    ok 1 - one\n    ok 2 - two\nok 1 - x.js\n');
  t.equal(out.stdout.trim(), '2 passed, 0 failed');
  t.equal(out.status, 0);
});
