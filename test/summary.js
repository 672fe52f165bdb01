// Reads tap's TAP output on stdin (passing it through unless --quiet) and ends with one line
// "N passed, N failed[, N skipped]" counting test cases: each t.test() of a file, or a whole
// file that failed outside its test cases (a crash, a failing before/after hook). The failed
// ones are named just above that line, so the tail of a CI log says what broke.
'use strict';
const readline = require('node:readline');
let passed = 0,
  failed = 0,
  skipped = 0;
let fileCases = { pass: 0, fail: 0 };
let file = '';
const failures = [];
const rl = readline.createInterface({ input: process.stdin });
const quiet = process.argv.includes('--quiet');
rl.on('line', (line) => {
  if (!quiet) process.stdout.write(line + '\n');
  const sub = /^# Subtest: (.*)$/.exec(line);
  if (sub) {
    file = sub[1];
    return;
  }
  let m = /^ {4}(not )?ok \d+ - (.*?)(# (SKIP|TODO)\b.*)?$/.exec(line);
  if (m) {
    if (m[4]) skipped++;
    else if (m[1]) {
      failed++;
      fileCases.fail++;
      failures.push(`${file}: ${m[2].replace(/ # time=.*$/, '').trim()}`);
    } else {
      passed++;
      fileCases.pass++;
    }
    return;
  }
  m = /^(not )?ok \d+ - (.*)$/.exec(line);
  if (m) {
    if (m[1] && fileCases.fail === 0) {
      failed++; // the file failed outside its cases
      failures.push(`${m[2].replace(/ # time=.*$/, '').trim()}: outside its test cases`);
    }
    fileCases = { pass: 0, fail: 0 };
  }
});
rl.on('close', () => {
  if (failures.length) process.stdout.write('\n' + failures.map((f) => `failed: ${f}`).join('\n') + '\n');
  process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  process.exitCode = failed > 0 ? 1 : 0;
});
