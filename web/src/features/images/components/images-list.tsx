import type { ReactNode } from 'react';
import Badge from 'react-bootstrap/Badge';
import Table from 'react-bootstrap/Table';
import { CopyButton } from '@/components/ui/copy-button';
import { LoadMore } from '@/components/ui/load-more';
import { EmptyState, ErrorState, Loading } from '@/components/ui/states';
import { formatAge, formatBytes, shortDigest, shortSha } from '@/lib/format';
import type { Image } from '@/types/api';
import { useImages } from '../api/get-images';
import { DeleteImageButton } from './delete-image-button';

/** The project's images; `renderActions` adds buttons (deploy) per row. */
export function ImagesList({
  owner,
  name,
  renderActions,
}: {
  owner: string;
  name: string;
  renderActions?: (image: Image) => ReactNode;
}) {
  const images = useImages(owner, name);
  if (images.isLoading) return <Loading label="Loading images…" />;
  if (images.isError) return <ErrorState error={images.error} />;
  if (!images.data?.length)
    return <EmptyState title="No images yet">A successful build makes one.</EmptyState>;
  return (
    <>
      <Table hover responsive className="align-middle" aria-label="Images">
        <thead>
          <tr>
            <th scope="col">Tag</th>
            <th scope="col">Digest</th>
            <th scope="col">Size</th>
            <th scope="col">Age</th>
            <th scope="col">Commit</th>
            <th scope="col">Deployed</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {images.data.map((image) => (
            <tr key={image.id} data-image-tag={image.tag}>
              <td className="fw-semibold">{image.tag}</td>
              <td>
                <code title={image.digest}>{shortDigest(image.digest)}</code>{' '}
                <CopyButton text={image.digest} label="Copy digest" />
              </td>
              <td className="small">{formatBytes(image.size)}</td>
              <td className="small">{formatAge(image.created_at)}</td>
              <td>
                <code>{shortSha(image.commit)}</code>
              </td>
              <td>
                {image.deployed ? (
                  <Badge bg="success">✓ deployed</Badge>
                ) : image.deployments > 0 ? (
                  <span className="small text-secondary">
                    not running ({image.deployments} deployment{image.deployments === 1 ? '' : 's'})
                  </span>
                ) : (
                  <span className="small text-secondary">no</span>
                )}
              </td>
              <td className="text-end text-nowrap">
                <div className="d-inline-flex gap-2">
                  {renderActions ? renderActions(image) : null}
                  <DeleteImageButton image={image} />
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </Table>
      <LoadMore query={images} />
    </>
  );
}
