import { useState } from 'react';
import Alert from 'react-bootstrap/Alert';
import Button from 'react-bootstrap/Button';
import Form from 'react-bootstrap/Form';
import Modal from 'react-bootstrap/Modal';
import { errorMessage } from '@/lib/api-client';
import type { Project } from '@/types/api';
import { useCreateProject } from '../api/create-project';
import { useExamples } from '../api/get-examples';
import { useTemplates } from '../api/get-templates';
import { FieldError, invalidFieldProps } from '@/components/ui/field-error';

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** The "Start from" choice: the template's starter or an example's name. */
const STARTER = '';

export function CreateProjectModal({
  show,
  onHide,
  onCreated,
}: {
  show: boolean;
  onHide: () => void;
  onCreated: (project: Project) => void;
}) {
  const templates = useTemplates();
  const examples = useExamples();
  const create = useCreateProject();
  const [name, setName] = useState('');
  const [template, setTemplate] = useState('');
  const [example, setExample] = useState(STARTER);
  const [touched, setTouched] = useState(false);
  const chosen = template || templates.data?.[0] || 'python-flask';
  const nameOk = NAME.test(name);
  const chosenExample = examples.data?.find((e) => e.name === example);
  return (
    <Modal
      show={show}
      onHide={onHide}
      centered
      onExited={() => {
        setName('');
        setExample(STARTER);
        setTouched(false);
        create.reset();
      }}
    >
      <Form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          setTouched(true);
          if (!nameOk) return;
          const from = example === STARTER ? { template: chosen } : { example };
          create.mutate({ name, ...from }, { onSuccess: onCreated });
        }}
      >
        <Modal.Header closeButton>
          <Modal.Title as="h2" className="h5">
            New project
          </Modal.Title>
        </Modal.Header>
        <Modal.Body>
          {create.isError ? <Alert variant="danger">{errorMessage(create.error)}</Alert> : null}
          <Form.Group className="mb-3" controlId="project-name">
            <Form.Label>Name</Form.Label>
            <Form.Control
              autoFocus
              value={name}
              {...invalidFieldProps('project-name', touched && !nameOk)}
              onChange={(e) => setName(e.target.value)}
              placeholder="knapsack"
            />
            <FieldError fieldId="project-name">
              Lowercase letters, digits and dashes, starting with a letter or digit.
            </FieldError>
          </Form.Group>
          <Form.Group className="mb-3" controlId="project-start">
            <Form.Label>Start from</Form.Label>
            <Form.Select
              value={example}
              onChange={(e) => setExample(e.target.value)}
              aria-describedby="project-start-help"
            >
              <option value={STARTER}>The starter (a knapsack model)</option>
              {(examples.data ?? []).map((e) => (
                <option key={e.name} value={e.name}>
                  Example: {e.title}
                </option>
              ))}
            </Form.Select>
            <Form.Text id="project-start-help">
              {chosenExample
                ? chosenExample.summary
                : examples.isError
                  ? 'The examples could not be loaded; the starter is always there.'
                  : 'Or a ready model with a known answer, to build, deploy and compare.'}
            </Form.Text>
          </Form.Group>
          {example === STARTER ? (
            <Form.Group controlId="project-template">
              <Form.Label>Template</Form.Label>
              <Form.Select
                value={chosen}
                onChange={(e) => setTemplate(e.target.value)}
                disabled={templates.isLoading}
              >
                {(templates.data ?? [chosen]).map((t) => (
                  <option key={t} value={t}>
                    {t}
                  </option>
                ))}
              </Form.Select>
            </Form.Group>
          ) : null}
        </Modal.Body>
        <Modal.Footer>
          <Button variant="outline-secondary" onClick={onHide}>
            Cancel
          </Button>
          <Button type="submit" disabled={create.isPending}>
            {create.isPending ? 'Creating…' : 'Create project'}
          </Button>
        </Modal.Footer>
      </Form>
    </Modal>
  );
}
