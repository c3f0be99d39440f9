import { useState } from 'react';
import Alert from 'react-bootstrap/Alert';
import Button from 'react-bootstrap/Button';
import Col from 'react-bootstrap/Col';
import Form from 'react-bootstrap/Form';
import Row from 'react-bootstrap/Row';
import { errorMessage } from '@/lib/api-client';
import type { Deployment, Visibility } from '@/types/api';
import { useCreateDeployment } from '../api/create-deployment';
import { FieldError, invalidFieldProps } from '@/components/ui/field-error';

export interface DeployFormValues {
  memory: string;
  cpus: string;
  replicas: string; // '' → the installation's default
  visibility: Visibility;
}

export interface DeployFormErrors {
  memory?: string;
  cpus?: string;
  replicas?: string;
}

export const MEMORY_RANGE = { min: 64, max: 16384 } as const;
export const CPU_RANGE = { min: 0.1, max: 16 } as const;
// The server holds the installation's cap (and 1 on a runtime of one machine).
export const REPLICA_RANGE = { min: 1, max: 16 } as const;

/** What is wrong with the values, field by field (empty when valid). */
export function validateDeployForm(values: DeployFormValues): DeployFormErrors {
  const errors: DeployFormErrors = {};
  const memory = Number(values.memory);
  if (!/^\d+$/.test(values.memory.trim()) || memory < MEMORY_RANGE.min || memory > MEMORY_RANGE.max)
    errors.memory = `Memory must be a whole number of MB from ${MEMORY_RANGE.min} to ${MEMORY_RANGE.max}.`;
  const cpus = Number(values.cpus);
  if (
    values.cpus.trim() === '' ||
    !Number.isFinite(cpus) ||
    cpus < CPU_RANGE.min ||
    cpus > CPU_RANGE.max
  )
    errors.cpus = `CPUs must be a number from ${CPU_RANGE.min} to ${CPU_RANGE.max}.`;
  const replicas = values.replicas.trim();
  if (
    replicas !== '' &&
    (!/^\d+$/.test(replicas) ||
      Number(replicas) < REPLICA_RANGE.min ||
      Number(replicas) > REPLICA_RANGE.max)
  )
    errors.replicas = `Replicas must be a whole number from ${REPLICA_RANGE.min} to ${REPLICA_RANGE.max}, or empty.`;
  return errors;
}

/** Memory, CPU, replicas and visibility of a new deployment of `imageId`. */
export function DeployForm({
  imageId,
  imageLabel,
  onDeployed,
  onCancel,
}: {
  imageId: string;
  imageLabel: string;
  onDeployed: (deployment: Deployment) => void;
  onCancel?: () => void;
}) {
  const [values, setValues] = useState<DeployFormValues>({
    memory: '512',
    cpus: '1',
    replicas: '',
    visibility: 'private',
  });
  const [submitted, setSubmitted] = useState(false);
  const create = useCreateDeployment();
  const errors = validateDeployForm(values);
  const show = (field: keyof DeployFormErrors) => (submitted ? errors[field] : undefined);
  return (
    <Form
      noValidate
      aria-label={`Deploy ${imageLabel}`}
      onSubmit={(e) => {
        e.preventDefault();
        setSubmitted(true);
        if (Object.keys(errors).length > 0) return;
        create.mutate(
          {
            image_id: imageId,
            memory_mb: Number(values.memory),
            cpus: Number(values.cpus),
            ...(values.replicas.trim() === '' ? {} : { replicas: Number(values.replicas) }),
            visibility: values.visibility,
          },
          { onSuccess: onDeployed },
        );
      }}
    >
      {create.isError ? <Alert variant="danger">{errorMessage(create.error)}</Alert> : null}
      <p className="small text-secondary">
        Deploys <strong>{imageLabel}</strong>; it replaces the project&apos;s live deployment once
        healthy.
      </p>
      <Row className="g-3">
        <Col xs={6}>
          <Form.Group controlId="deploy-memory">
            <Form.Label>Memory (MB)</Form.Label>
            <Form.Control
              inputMode="numeric"
              value={values.memory}
              {...invalidFieldProps('deploy-memory', Boolean(show('memory')))}
              onChange={(e) => setValues({ ...values, memory: e.target.value })}
            />
            <FieldError fieldId="deploy-memory">{show('memory')}</FieldError>
          </Form.Group>
        </Col>
        <Col xs={6}>
          <Form.Group controlId="deploy-cpus">
            <Form.Label>CPUs</Form.Label>
            <Form.Control
              inputMode="decimal"
              value={values.cpus}
              {...invalidFieldProps('deploy-cpus', Boolean(show('cpus')))}
              onChange={(e) => setValues({ ...values, cpus: e.target.value })}
            />
            <FieldError fieldId="deploy-cpus">{show('cpus')}</FieldError>
          </Form.Group>
        </Col>
        <Col xs={6}>
          <Form.Group controlId="deploy-replicas">
            <Form.Label>Replicas</Form.Label>
            <Form.Control
              inputMode="numeric"
              placeholder="default"
              value={values.replicas}
              {...invalidFieldProps('deploy-replicas', Boolean(show('replicas')))}
              onChange={(e) => setValues({ ...values, replicas: e.target.value })}
            />
            <Form.Text>Copies behind the gateway, where the installation runs several.</Form.Text>
            <FieldError fieldId="deploy-replicas">{show('replicas')}</FieldError>
          </Form.Group>
        </Col>
        <Col xs={12}>
          <fieldset>
            <legend className="form-label fs-6">Visibility</legend>
            <Form.Check
              type="radio"
              id="deploy-private"
              name="visibility"
              label="Private: only you (logged in) can call it"
              checked={values.visibility === 'private'}
              onChange={() => setValues({ ...values, visibility: 'private' })}
            />
            <Form.Check
              type="radio"
              id="deploy-public"
              name="visibility"
              label="Public: anyone with the URL can call it"
              checked={values.visibility === 'public'}
              onChange={() => setValues({ ...values, visibility: 'public' })}
            />
          </fieldset>
        </Col>
      </Row>
      <div className="d-flex justify-content-end gap-2 mt-3">
        {onCancel ? (
          <Button variant="outline-secondary" onClick={onCancel}>
            Cancel
          </Button>
        ) : null}
        <Button type="submit" disabled={create.isPending}>
          {create.isPending ? 'Deploying…' : 'Deploy'}
        </Button>
      </div>
    </Form>
  );
}
