import { useEffect, useRef, useState } from 'react';
import Card from 'react-bootstrap/Card';
import Col from 'react-bootstrap/Col';
import Row from 'react-bootstrap/Row';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { ErrorState } from '@/components/ui/states';
import { useLatest } from '@/lib/use-latest';
import { useDeploymentMetrics } from '../api/get-deployment-metrics';
import { CallLoad } from './call-load';
import { ratesBetween, type MetricsPoint, type MetricsSample } from './metrics-math';

const MAX_POINTS = 120;

function Chart({
  title,
  points,
  series,
}: {
  title: string;
  points: MetricsPoint[];
  series: { label: string; value: (p: MetricsPoint) => number | null; color: string }[];
}) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const seriesRef = useLatest(series);
  useEffect(() => {
    if (!host.current) return;
    const opts: uPlot.Options = {
      width: Math.max(280, host.current.clientWidth || 420),
      height: 180,
      legend: { show: true },
      scales: { x: { time: true } },
      series: [
        {},
        ...seriesRef.current.map((s) => ({ label: s.label, stroke: s.color, width: 2 })),
      ],
      axes: [{}, { size: 50 }],
    };
    const empty: uPlot.AlignedData = [[], ...seriesRef.current.map(() => [])];
    plot.current = new uPlot(opts, empty, host.current);
    const resize = () => {
      if (host.current && plot.current)
        plot.current.setSize({ width: Math.max(280, host.current.clientWidth), height: 180 });
    };
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.current?.destroy();
      plot.current = null;
    };
  }, [seriesRef]);
  useEffect(() => {
    plot.current?.setData([
      points.map((p) => p.t),
      ...seriesRef.current.map((s) => points.map((p) => s.value(p))),
    ]);
  }, [points, seriesRef]);
  return (
    <Card>
      <Card.Header className="py-1 small fw-semibold">{title}</Card.Header>
      <Card.Body className="p-2">
        {/* data-points: how many points are drawn (two make a line), for tests. */}
        <div ref={host} role="img" aria-label={`${title} chart`} data-points={points.length} />
      </Card.Body>
    </Card>
  );
}

/** Request rate and latency from successive polls of the cumulative metrics. */
export function MetricsCharts({ id, runsPath }: { id: string; runsPath: string }) {
  const metrics = useDeploymentMetrics(id);
  const [points, setPoints] = useState<MetricsPoint[]>([]);
  const last = useRef<MetricsSample | null>(null);
  useEffect(() => {
    if (!metrics.data) return;
    const sample = { t: metrics.dataUpdatedAt / 1000, metrics: metrics.data };
    const prev = last.current;
    last.current = sample;
    if (!prev) return;
    const point = ratesBetween(prev, sample);
    if (point) setPoints((all) => [...all.slice(-(MAX_POINTS - 1)), point]);
  }, [metrics.data, metrics.dataUpdatedAt]);
  if (metrics.isError) return <ErrorState error={metrics.error} />;
  const m = metrics.data;
  const totalRequests = m ? Object.values(m.requests).reduce((a, b) => a + b, 0) : 0;
  return (
    <div>
      {m && <CallLoad load={m} runsPath={runsPath} />}
      <p className="small text-secondary mb-2">
        {m
          ? `${totalRequests} requests in all (${m.requests['2xx']} 2xx, ${m.requests['4xx']} 4xx, ${m.requests['5xx']} 5xx).`
          : 'Waiting for metrics…'}
        {points.length === 0 && m ? ' Rates appear after the second poll.' : ''}
      </p>
      <Row className="g-2">
        <Col xs={6}>
          <Chart
            title="Requests per second"
            points={points}
            series={[
              { label: 'req/s', value: (p) => p.rps, color: '#1f5fbf' },
              { label: 'errors/s', value: (p) => p.errorsPerSecond, color: '#c0392b' },
            ]}
          />
        </Col>
        <Col xs={6}>
          <Chart
            title="Latency (ms)"
            points={points}
            series={[
              { label: 'mean', value: (p) => p.meanMs, color: '#1f5fbf' },
              { label: 'p95 ≤', value: (p) => p.p95Ms, color: '#e67e22' },
            ]}
          />
        </Col>
      </Row>
    </div>
  );
}
