import { useState } from 'react';
import Button from 'react-bootstrap/Button';
import Modal from 'react-bootstrap/Modal';
import { useToast } from '@/components/ui/toasts';
import type { Deployment, Image } from '@/types/api';
import { deploymentToastKey } from '../api/deployment-status';
import { DeployForm } from './deploy-form';

/** Opens the deploy form for one image (also how a rollback is done). */
export function DeployButton({
  image,
  label = 'Deploy',
  onDeployed,
}: {
  image: Image;
  label?: string;
  onDeployed?: (deployment: Deployment) => void;
}) {
  const [show, setShow] = useState(false);
  const toast = useToast();
  return (
    <>
      <Button size="sm" variant="outline-primary" onClick={() => setShow(true)}>
        {label}
        <span className="visually-hidden"> image {image.tag}</span>
      </Button>
      <Modal show={show} onHide={() => setShow(false)} centered>
        <Modal.Header closeButton>
          <Modal.Title as="h2" className="h5">
            Deploy image {image.tag}
          </Modal.Title>
        </Modal.Header>
        <Modal.Body>
          <DeployForm
            imageId={image.id}
            imageLabel={`${image.repository}:${image.tag}`}
            onCancel={() => setShow(false)}
            onDeployed={(d) => {
              setShow(false);
              toast.notify('info', `Deploying image ${image.tag}…`, {
                key: deploymentToastKey(d.id),
              });
              onDeployed?.(d);
            }}
          />
        </Modal.Body>
      </Modal>
    </>
  );
}
