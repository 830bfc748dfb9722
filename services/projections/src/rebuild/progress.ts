import { Presets, SingleBar } from 'cli-progress';

/**
 * The rebuild's progress bar on stderr (cli-progress): done/total, events/s and ETA. The total is the log's
 * head when the rebuild starts; events appended meanwhile raise it rather than run the bar past 100%. Off a
 * terminal nothing is drawn: the CLI prints its own summary line.
 */
export function progressBar(label: string, total: number, stream: NodeJS.WriteStream = process.stderr) {
  const started = performance.now();
  const bar = new SingleBar(
    {
      format: `${label} [{bar}] {percentage}% {value}/{total} events, {rate} events/s, ETA {eta_formatted}`,
      stream,
      fps: 5,
      hideCursor: true,
      etaBuffer: 20,
    },
    Presets.legacy,
  );
  bar.start(total, 0, { rate: 0 });
  const update = (done: number) => {
    if (done > bar.getTotal()) bar.setTotal(done);
    const seconds = Math.max((performance.now() - started) / 1000, 0.001);
    bar.update(done, { rate: Math.round(done / seconds) });
  };
  return {
    update,
    done(done: number) {
      update(done);
      bar.stop();
    },
  };
}
