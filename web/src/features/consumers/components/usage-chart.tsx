import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const HEIGHT = 140;

/** Requests per day as bars (uPlot, like the deployment's charts). */
export function UsageChart({
  title,
  days,
  requestsByDay,
}: {
  title: string;
  /** Every day of the period, `YYYY-MM-DD`, so that quiet days show as gaps. */
  days: string[];
  requestsByDay: Map<string, number>;
}) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!host.current) return;
    const xs = days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000);
    const ys = days.map((d) => requestsByDay.get(d) ?? 0);
    const opts: uPlot.Options = {
      width: Math.max(280, host.current.clientWidth || 560),
      height: HEIGHT,
      legend: { show: false },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      series: [
        {},
        {
          label: 'requests',
          stroke: '#1f5fbf',
          fill: 'rgba(31, 95, 191, 0.6)',
          paths: uPlot.paths.bars?.({ size: [0.7, 40] }),
          points: { show: false },
        },
      ],
      axes: [{}, { size: 50 }],
    };
    const plot = new uPlot(opts, [xs, ys], host.current);
    const resize = () => {
      if (host.current)
        plot.setSize({ width: Math.max(280, host.current.clientWidth), height: HEIGHT });
    };
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [days, requestsByDay]);
  const total = [...requestsByDay.values()].reduce((a, b) => a + b, 0);
  return (
    <div
      ref={host}
      role="img"
      aria-label={`${title}: ${total} requests over ${days.length} days`}
      data-days={days.length}
    />
  );
}
