import Col from 'react-bootstrap/Col';
import Row from 'react-bootstrap/Row';
import { PageHeader } from '@/components/ui/page-header';
import { AuditLog } from './audit-log';
import { GcPanel } from './gc-panel';
import { UsersTable } from './users-table';

export function AdminPage({ currentUserId }: { currentUserId: string }) {
  return (
    <>
      <PageHeader title="Administration" />
      <Row className="g-4">
        <Col xs={12} xl={7}>
          <h2 className="h5">Users</h2>
          <UsersTable currentUserId={currentUserId} />
        </Col>
        <Col xs={12} xl={5}>
          <GcPanel />
        </Col>
        <Col xs={12}>
          <h2 className="h5">Audit log</h2>
          <AuditLog />
        </Col>
      </Row>
    </>
  );
}
