import { useState } from 'react';
import Alert from 'react-bootstrap/Alert';
import Button from 'react-bootstrap/Button';
import Col from 'react-bootstrap/Col';
import Form from 'react-bootstrap/Form';
import Row from 'react-bootstrap/Row';
import { FieldError, invalidFieldProps } from '@/components/ui/field-error';
import { errorMessage } from '@/lib/api-client';
import type { ConsumerKey } from '@/types/api';
import { useCreateConsumerKey, type NewConsumerKey } from '../api/create-key';

// The server's limits, checked here too so a typo is caught before sending.
const MAX_NAME = 64;
const MAX_RATE = 1_000_000;
const MAX_QUOTA = 1_000_000_000_000;

type LimitField = 'rate_limit_per_min' | 'monthly_quota_requests' | 'monthly_quota_run_seconds';

const LIMITS: { field: LimitField; label: string; max: number; hint: string }[] = [
  { field: 'rate_limit_per_min', label: 'Rate limit per minute', max: MAX_RATE, hint: 'calls' },
  {
    field: 'monthly_quota_requests',
    label: 'Monthly quota of requests',
    max: MAX_QUOTA,
    hint: 'calls',
  },
  {
    field: 'monthly_quota_run_seconds',
    label: 'Monthly quota of run seconds',
    max: MAX_QUOTA,
    hint: 'seconds',
  },
];

type Limits = Record<LimitField, string>;
const NO_LIMITS: Limits = {
  rate_limit_per_min: '',
  monthly_quota_requests: '',
  monthly_quota_run_seconds: '',
};

/** A limit as typed: empty is none, else a whole number from 1 to `max` (or an error). */
export function parseLimit(text: string, max: number): number | null | 'invalid' {
  const trimmed = text.trim();
  if (!trimmed) return null;
  if (!/^\d+$/.test(trimmed)) return 'invalid';
  const value = Number(trimmed);
  return value >= 1 && value <= max ? value : 'invalid';
}

/** The request body of the form's values, or the fields that are not valid. */
export function newKeyRequest(
  name: string,
  expires: string,
  limits: Limits,
): { request: NewConsumerKey } | { invalid: LimitField[] } {
  const request: NewConsumerKey = { name: name.trim() };
  if (expires) request.expires_at = expires;
  const invalid: LimitField[] = [];
  for (const { field, max } of LIMITS) {
    const value = parseLimit(limits[field], max);
    if (value === 'invalid') invalid.push(field);
    else if (value !== null) request[field] = value;
  }
  return invalid.length > 0 ? { invalid } : { request };
}

function tomorrow(): string {
  return new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
}

/** Issues a key: a name, an optional expiry date, optional limits (empty = none). */
export function NewKeyForm({
  owner,
  name: project,
  onIssued,
}: {
  owner: string;
  name: string;
  onIssued: (key: ConsumerKey) => void;
}) {
  const [name, setName] = useState('');
  const [expires, setExpires] = useState('');
  const [limits, setLimits] = useState<Limits>(NO_LIMITS);
  const [invalid, setInvalid] = useState<LimitField[]>([]);
  const create = useCreateConsumerKey(owner, project);
  return (
    <Form
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        if (!name.trim()) return;
        const parsed = newKeyRequest(name, expires, limits);
        if ('invalid' in parsed) {
          setInvalid(parsed.invalid);
          return;
        }
        setInvalid([]);
        create.mutate(parsed.request, {
          onSuccess: (key) => {
            setName('');
            setExpires('');
            setLimits(NO_LIMITS);
            onIssued(key);
          },
        });
      }}
    >
      <Row className="g-2 align-items-start">
        <Form.Group as={Col} md={4} controlId="key-name">
          <Form.Label>Name</Form.Label>
          <Form.Control
            value={name}
            maxLength={MAX_NAME}
            placeholder="acme-corp"
            onChange={(e) => setName(e.target.value)}
          />
          <Form.Text>Whom the key is for.</Form.Text>
        </Form.Group>
        <Form.Group as={Col} md={3} controlId="key-expires">
          <Form.Label>Expires on</Form.Label>
          <Form.Control
            type="date"
            value={expires}
            min={tomorrow()}
            onChange={(e) => setExpires(e.target.value)}
          />
          <Form.Text>Empty: never.</Form.Text>
        </Form.Group>
      </Row>
      <Row className="g-2 mt-1 align-items-start">
        {LIMITS.map(({ field, label, max, hint }) => (
          <Form.Group as={Col} md={4} key={field} controlId={`key-${field}`}>
            <Form.Label>{label}</Form.Label>
            <Form.Control
              inputMode="numeric"
              value={limits[field]}
              placeholder="none"
              {...invalidFieldProps(`key-${field}`, invalid.includes(field))}
              onChange={(e) => setLimits((current) => ({ ...current, [field]: e.target.value }))}
            />
            <FieldError fieldId={`key-${field}`}>
              A whole number of {hint} from 1 to {max.toLocaleString('en')}, or empty for none.
            </FieldError>
          </Form.Group>
        ))}
      </Row>
      {create.isError ? (
        <Alert variant="danger" className="mt-3 mb-0 py-2">
          {errorMessage(create.error)}
        </Alert>
      ) : null}
      <Button type="submit" className="mt-3" disabled={!name.trim() || create.isPending}>
        {create.isPending ? 'Issuing…' : 'Issue key'}
      </Button>
    </Form>
  );
}
