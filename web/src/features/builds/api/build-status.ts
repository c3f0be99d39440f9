import type { ToastVariant } from '@/components/ui/toasts';
import type { Build, BuildStatus } from '@/types/api';

/** A build that may still change: it is polled and its log followed. */
export function isBuildActive(status: BuildStatus): boolean {
  return status === 'queued' || status === 'running';
}

/** The key of the toast about build `id`: news of the build replaces it. */
export function buildToastKey(id: string): string {
  return `build:${id}`;
}

/** What the toast about a build says once it left the queue. */
export function buildToast(build: Pick<Build, 'number' | 'status'>): {
  variant: ToastVariant;
  message: string;
} {
  const variants: Record<BuildStatus, ToastVariant> = {
    queued: 'info',
    running: 'info',
    succeeded: 'success',
    failed: 'warning',
    canceled: 'info',
  };
  return { variant: variants[build.status], message: `Build #${build.number} ${build.status}.` };
}
