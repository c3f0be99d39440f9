import type { ReactNode } from 'react';
import Card from 'react-bootstrap/Card';
import { Logo } from '@/components/ui/logo';

export function AuthCard({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="auth-page d-flex align-items-center justify-content-center">
      <Card className="auth-card shadow-sm">
        <Card.Body className="p-4">
          <div className="d-flex align-items-center gap-2 mb-3">
            <Logo size={32} />
            <span className="fs-4 fw-bold brand-name">ORSA</span>
          </div>
          <h1 className="h5 mb-3">{title}</h1>
          {children}
        </Card.Body>
      </Card>
    </div>
  );
}
