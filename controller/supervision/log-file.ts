// The controller's log file with a size cap: past maxBytes the file becomes <file>.1 (the
// older ones shift to .2 ... .<keep>, the oldest is deleted) and a new file starts, so the
// logs of a box left alone for months never fill its disk. It is also rotated at the first
// write of a new day, so that each rotated file covers at most a day and the retention job
// can delete those older than its days (the log holds callers' ids and masked numbers). Written by the supervisor, which
// collects the controller's stdout and stderr (a crash's last words included).
import { closeSync, existsSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';

export class RotatingLog {
  private fd: number;
  private size: number;
  private day: string;

  constructor(
    readonly file: string,
    private readonly maxBytes: number,
    private readonly keep: number,
  ) {
    this.fd = openSync(file, 'a', 0o600);
    const st = statSync(file);
    this.size = st.size;
    this.day = localDay(st.size > 0 ? st.mtime : new Date());
  }

  write(chunk: Buffer | string, now = new Date()): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const today = localDay(now);
    if (today !== this.day) {
      if (this.size > 0) this.rotate();
      this.day = today;
    }
    try {
      writeSync(this.fd, buf);
      this.size += buf.length;
    } catch {
      // a full disk must not stop the supervisor: the line is lost, the controller goes on
      return;
    }
    // rotate at a line's end, so that no JSON line is split across two files
    if (this.size >= this.maxBytes && buf[buf.length - 1] === 0x0a) this.rotate();
  }

  rotate(): void {
    closeSync(this.fd);
    rmSync(`${this.file}.${this.keep}`, { force: true });
    for (let i = this.keep - 1; i >= 1; i--) if (existsSync(`${this.file}.${i}`)) renameSync(`${this.file}.${i}`, `${this.file}.${i + 1}`);
    renameSync(this.file, `${this.file}.1`);
    this.fd = openSync(this.file, 'a', 0o600);
    this.size = 0;
  }

  close(): void {
    closeSync(this.fd);
  }
}

const localDay = (d: Date): string => `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
