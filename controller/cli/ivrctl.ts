// ivrctl: the sysadmin's command line. The binary: the process's streams and environment
// handed to the command tree (program.ts), whose exit code becomes the process's.
import { privateUmask } from '../storage/private-files';
import { runIvrctl } from './program';

privateUmask();
// `ivrctl report | head`: the reader went away, which is not an error of ours
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});
void runIvrctl(process.argv.slice(2), {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  stdin: process.stdin,
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});
