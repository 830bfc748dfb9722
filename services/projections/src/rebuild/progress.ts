/** A one-line progress bar on stderr: done/total, events/s and ETA, redrawn at most every 200 ms. */
export function progressBar(label: string, total: number, out: NodeJS.WriteStream = process.stderr) {
  const started = Date.now();
  let drawn = 0;
  const draw = (done: number, final = false) => {
    const now = Date.now();
    if (!final && now - drawn < 200) return;
    drawn = now;
    const seconds = Math.max((now - started) / 1000, 0.001);
    const rate = done / seconds;
    const share = total > 0 ? Math.min(done / total, 1) : 1;
    const width = 30;
    const bar = '#'.repeat(Math.round(share * width)).padEnd(width, '.');
    const eta = rate > 0 ? Math.max(total - done, 0) / rate : 0;
    const line = `${label} [${bar}] ${(share * 100).toFixed(0).padStart(3)}% ${done}/${total} events, ${Math.round(rate)} events/s, ETA ${eta.toFixed(1)}s`;
    if (out.isTTY) out.write(`\r${line}${final ? '\n' : ''}`);
    else if (final) out.write(`${line}\n`);
  };
  return { update: (done: number) => draw(done), done: (done: number) => draw(done, true) };
}
