import Alert from 'react-bootstrap/Alert';
import { Link } from 'react-router';

type Load = { in_flight: number; workers: number; queued: number };

/**
 * Calls being served and calls waiting behind busy workers. A synchronous
 * call holds one of the service's workers for its whole solve, so a few long
 * solves make every other caller wait: those belong in runs.
 */
export function CallLoad({ load, runsPath }: { load: Load; runsPath: string }) {
  const served = Math.min(load.in_flight, load.workers || load.in_flight);
  return (
    <>
      <p className="small mb-1" data-testid="call-load">
        Calls now: {served} served
        {load.workers > 0 ? ` by ${load.workers} worker${load.workers === 1 ? '' : 's'}` : ''},{' '}
        {load.queued} waiting.
      </p>
      {load.queued > 0 && (
        <Alert variant="warning" className="py-2 small" role="status">
          {load.queued} call{load.queued === 1 ? ' is' : 's are'} waiting for a free worker: every
          worker is busy with a solve. Submit long solves as <Link to={runsPath}>runs</Link>, which
          get containers of their own, or raise <code>[service] workers</code> in orsa.toml.
        </Alert>
      )}
    </>
  );
}
