import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';

export function deleteImage(id: string): Promise<void> {
  return apiJson<void>(`/api/v1/images/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

export function useDeleteImage() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: deleteImage,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['images'] }),
  });
}
