import type { ReactNode } from 'react';

export function PageHeader({ title, actions }: { title: ReactNode; actions?: ReactNode }) {
  return (
    <div className="d-flex align-items-center justify-content-between gap-3 mb-3 flex-wrap">
      <h1 className="h4 mb-0">{title}</h1>
      {actions ? <div className="d-flex gap-2 align-items-center">{actions}</div> : null}
    </div>
  );
}
