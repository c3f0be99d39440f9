import Button from 'react-bootstrap/Button';
import { useToast } from '@/components/ui/toasts';
import type { Build } from '@/types/api';
import { buildToastKey } from '../api/build-status';
import { useStartBuild } from '../api/start-build';

/** Queues a build of the head commit. */
export function BuildButton({
  owner,
  name,
  onStarted,
}: {
  owner: string;
  name: string;
  onStarted?: (build: Build) => void;
}) {
  const start = useStartBuild(owner, name);
  const toast = useToast();
  return (
    <Button
      onClick={() =>
        start.mutate(undefined, {
          onSuccess: (build) => {
            toast.notify('info', `Build #${build.number} queued.`, {
              key: buildToastKey(build.id),
            });
            onStarted?.(build);
          },
          onError: (e) => toast.notifyError(e, 'Could not start the build'),
        })
      }
      disabled={start.isPending}
    >
      {start.isPending ? 'Queuing…' : 'Build'}
    </Button>
  );
}
