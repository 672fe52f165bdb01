// Measures how long the event loop is blocked: a timer due every INTERVAL_MS reports how late
// it fired. Everything the controller does for every call shares this loop, so a delay here is
// a delay of every prompt, key and timer (exported as ivr_event_loop_delay_seconds).
export const INTERVAL_MS = 20;

export function watchEventLoop(observe: (seconds: number) => void, intervalMs = INTERVAL_MS): { stop(): void } {
  let expected = performance.now() + intervalMs;
  const timer = setInterval(() => {
    const now = performance.now();
    observe(Math.max(0, now - expected) / 1000);
    expected = now + intervalMs;
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
