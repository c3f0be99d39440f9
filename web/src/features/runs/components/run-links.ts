import type { Run } from '@/types/api';

/** Where the pages about a run's pieces are (the app's routes decide). */
export interface RunLinks {
  run: (run: Run) => string;
  project: (run: Run) => string;
  commit: (run: Run) => string;
  build: (run: Run) => string;
  images: (run: Run) => string;
  deployment: (run: Run) => string;
}
