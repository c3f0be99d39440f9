import { useState } from 'react';
import Alert from 'react-bootstrap/Alert';
import Button from 'react-bootstrap/Button';
import Col from 'react-bootstrap/Col';
import Form from 'react-bootstrap/Form';
import Row from 'react-bootstrap/Row';
import { FieldError, fieldErrorId, invalidFieldProps } from '@/components/ui/field-error';
import { ErrorState, Loading } from '@/components/ui/states';
import { ApiError, errorMessage } from '@/lib/api-client';
import { formatBytes, shortSha } from '@/lib/format';
import type { Image, Run } from '@/types/api';
import { useInputJson } from '../api/get-input-json';
import { useSubmitRun, type RunSubmission } from '../api/submit-run';
import {
  fieldOfServerError,
  inputText,
  MAX_INPUT_BYTES,
  parseOptions,
  validateRunForm,
  type InputSource,
  type RunFormErrors,
  type RunFormField,
  type RunFormValues,
} from './run-form-values';

const PREVIEW_CHARS = 2000;

/** A file's text (FileReader: every browser has it, File.text() not every test DOM). */
function readText(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(typeof reader.result === 'string' ? reader.result : '');
    reader.onerror = () => reject(reader.error ?? new Error('the file cannot be read'));
    reader.readAsText(file);
  });
}

const SOURCES: { value: InputSource; label: string }[] = [
  { value: 'project', label: 'input.json of the project' },
  { value: 'edit', label: 'Edit an input' },
  { value: 'file', label: 'Upload a file' },
];

function submission(values: RunFormValues, text: string): RunSubmission {
  const options = parseOptions(values.options);
  const out: RunSubmission = { input: JSON.parse(text) as unknown };
  if (options.ok && Object.keys(options.value).length > 0) out.options = options.value;
  if (values.timeLimit.trim()) out.time_limit_s = Number(values.timeLimit);
  if (values.imageId) out.image_id = values.imageId;
  return out;
}

function imageLabel(image: Image): string {
  return `Image ${image.tag} · ${shortSha(image.commit)}${image.deployed ? ' (live)' : ''}`;
}

/** The form's message for a refusal of the whole request (queue full, no image…). */
function FormError({ error }: { error: unknown }) {
  const full = error instanceof ApiError && error.status === 429;
  return (
    <Alert variant={full ? 'warning' : 'danger'} data-testid="run-form-error">
      {full ? <strong>Too many runs waiting. </strong> : null}
      {errorMessage(error)}
    </Alert>
  );
}

/**
 * Submits a run of the project: the input (input.json, an edited one or a
 * file), the time limit, free-form options and the image.
 */
export function RunForm({
  owner,
  name,
  images,
  onSubmitted,
}: {
  owner: string;
  name: string;
  /** The project's images for the image choice (undefined while they load). */
  images?: Image[];
  onSubmitted: (run: Run) => void;
}) {
  const projectInput = useInputJson(owner, name);
  const submit = useSubmitRun(owner, name);
  const [values, setValues] = useState<
    Omit<RunFormValues, 'source'> & { source: InputSource | null }
  >({
    source: null,
    text: '',
    fileText: null,
    fileName: '',
    timeLimit: '',
    options: '',
    imageId: '',
  });
  const [fileProblem, setFileProblem] = useState<string | null>(null);
  const [submitted, setSubmitted] = useState(false);
  if (projectInput.isLoading) return <Loading label="Loading input.json…" />;
  if (projectInput.isError) return <ErrorState error={projectInput.error} />;
  const sample = projectInput.data ?? null;
  const resolved: RunFormValues = {
    ...values,
    source: values.source ?? (sample !== null ? 'project' : 'edit'),
    text: values.source === null && sample === null && values.text === '' ? '{}' : values.text,
  };
  const errors: RunFormErrors = validateRunForm(resolved, sample);
  if (resolved.source === 'file' && fileProblem) errors.input = fileProblem;
  const serverField = submit.isError ? fieldOfServerError(submit.error) : null;
  const show = (field: RunFormField): string | undefined =>
    (submitted ? errors[field] : undefined) ??
    (serverField === field ? errorMessage(submit.error) : undefined);

  const change = (patch: Partial<RunFormValues>) => {
    if (submit.isError) submit.reset();
    setValues({ ...resolved, ...patch });
  };
  const chooseSource = (source: InputSource) =>
    change(
      source === 'edit' && resolved.text === '' ? { source, text: sample ?? '{}' } : { source },
    );
  const chooseFile = (file: File | undefined) => {
    setFileProblem(null);
    change({ fileText: null, fileName: file?.name ?? '' });
    if (!file) return;
    if (file.size > MAX_INPUT_BYTES) {
      setFileProblem(
        `${file.name} is ${formatBytes(file.size)}, over ${formatBytes(MAX_INPUT_BYTES)}.`,
      );
      return;
    }
    readText(file).then(
      (text) => setValues((v) => ({ ...v, fileText: text })),
      (e: unknown) => setFileProblem(`Cannot read ${file.name}: ${errorMessage(e)}`),
    );
  };

  const text = inputText(resolved, sample);
  return (
    <Form
      noValidate
      aria-label="New run"
      onSubmit={(e) => {
        e.preventDefault();
        setSubmitted(true);
        if (Object.keys(errors).length > 0 || text === null || submit.isPending) return;
        submit.mutate(submission(resolved, text), { onSuccess: (run) => onSubmitted(run) });
      }}
    >
      {submit.isError && serverField === null ? <FormError error={submit.error} /> : null}
      <Row className="g-3">
        <Col md={7}>
          <fieldset>
            <legend className="form-label fs-6 mb-1">Input</legend>
            <div className="d-flex gap-3 mb-2">
              {SOURCES.map((s) => (
                <Form.Check
                  key={s.value}
                  inline
                  type="radio"
                  id={`run-source-${s.value}`}
                  name="run-source"
                  label={s.label}
                  checked={resolved.source === s.value}
                  onChange={() => chooseSource(s.value)}
                />
              ))}
            </div>
            {resolved.source === 'project' ? (
              <>
                <pre
                  className="response-view run-input-preview"
                  aria-label="input.json"
                  aria-invalid={show('input') ? true : undefined}
                  aria-describedby={show('input') ? fieldErrorId('run-input') : undefined}
                  tabIndex={0}
                >
                  {sample === null
                    ? '(the project has no input.json)'
                    : sample.length > PREVIEW_CHARS
                      ? `${sample.slice(0, PREVIEW_CHARS)}\n… (${formatBytes(sample.length)} in all)`
                      : sample}
                </pre>
                {show('input') ? (
                  <div className="invalid-feedback d-block" id={fieldErrorId('run-input')}>
                    {show('input')}
                  </div>
                ) : null}
              </>
            ) : null}
            {resolved.source === 'edit' ? (
              <Form.Group controlId="run-input">
                <Form.Label className="visually-hidden">Input (JSON)</Form.Label>
                <Form.Control
                  as="textarea"
                  rows={10}
                  spellCheck={false}
                  className="font-monospace small"
                  value={resolved.text}
                  {...invalidFieldProps('run-input', Boolean(show('input')))}
                  onChange={(e) => change({ text: e.target.value })}
                />
                <FieldError fieldId="run-input">{show('input')}</FieldError>
              </Form.Group>
            ) : null}
            {resolved.source === 'file' ? (
              <Form.Group controlId="run-input">
                <Form.Label className="small mb-1">
                  JSON file (at most {formatBytes(MAX_INPUT_BYTES)})
                </Form.Label>
                <Form.Control
                  type="file"
                  accept="application/json,.json"
                  {...invalidFieldProps('run-input', Boolean(show('input')))}
                  onChange={(e) => chooseFile((e.target as HTMLInputElement).files?.[0])}
                />
                <FieldError fieldId="run-input">{show('input')}</FieldError>
                {resolved.fileText !== null ? (
                  <Form.Text>
                    {resolved.fileName}: {formatBytes(new Blob([resolved.fileText]).size)}
                  </Form.Text>
                ) : null}
              </Form.Group>
            ) : null}
          </fieldset>
        </Col>
        <Col md={5}>
          <Form.Group controlId="run-time-limit" className="mb-3">
            <Form.Label>Time limit (seconds)</Form.Label>
            <Form.Control
              inputMode="numeric"
              placeholder="the project's default"
              value={resolved.timeLimit}
              {...invalidFieldProps(
                'run-time-limit',
                Boolean(show('timeLimit')),
                'run-time-limit-help',
              )}
              onChange={(e) => change({ timeLimit: e.target.value })}
            />
            <Form.Text id="run-time-limit-help">
              Given to the model as <code>time_limit_s</code>; the run stops there.
            </Form.Text>
            <FieldError fieldId="run-time-limit">{show('timeLimit')}</FieldError>
          </Form.Group>
          <Form.Group controlId="run-options" className="mb-3">
            <Form.Label>Options</Form.Label>
            <Form.Control
              as="textarea"
              rows={2}
              spellCheck={false}
              className="font-monospace small"
              placeholder="seed=7"
              value={resolved.options}
              {...invalidFieldProps('run-options', Boolean(show('options')), 'run-options-help')}
              onChange={(e) => change({ options: e.target.value })}
            />
            <Form.Text id="run-options-help">
              One <code>key=value</code> per line, or a JSON object.
            </Form.Text>
            <FieldError fieldId="run-options">{show('options')}</FieldError>
          </Form.Group>
          <Form.Group controlId="run-image" className="mb-3">
            <Form.Label>Image</Form.Label>
            <Form.Select
              value={resolved.imageId}
              {...invalidFieldProps('run-image', Boolean(show('image')))}
              onChange={(e) => change({ imageId: e.target.value })}
            >
              <option value="">Live deployment, else the newest image</option>
              {(images ?? []).map((image) => (
                <option key={image.id} value={image.id}>
                  {imageLabel(image)}
                </option>
              ))}
            </Form.Select>
            <FieldError fieldId="run-image">{show('image')}</FieldError>
          </Form.Group>
          <Button type="submit" disabled={submit.isPending}>
            {submit.isPending ? 'Submitting…' : 'Run'}
          </Button>
        </Col>
      </Row>
    </Form>
  );
}
