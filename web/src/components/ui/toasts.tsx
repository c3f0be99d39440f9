import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import Toast from 'react-bootstrap/Toast';
import ToastContainer from 'react-bootstrap/ToastContainer';
import { errorMessage } from '@/lib/api-client';

export type ToastVariant = 'success' | 'danger' | 'info' | 'warning';

interface ToastItem {
  id: number;
  variant: ToastVariant;
  title: string;
  message: string;
}

interface ToastApi {
  notify: (variant: ToastVariant, message: string, title?: string) => void;
  notifyError: (error: unknown, title?: string) => void;
}

const ToastContext = createContext<ToastApi | null>(null);

const TITLES: Record<ToastVariant, string> = {
  success: 'Done',
  danger: 'Error',
  info: 'Note',
  warning: 'Warning',
};

let nextId = 1;

/** Holds the toasts of the app; errors stay until dismissed, others fade. */
export function ToastProvider({ children }: { children: ReactNode }) {
  const [items, setItems] = useState<ToastItem[]>([]);
  const dismiss = useCallback((id: number) => {
    setItems((all) => all.filter((t) => t.id !== id));
  }, []);
  const notify = useCallback((variant: ToastVariant, message: string, title?: string) => {
    setItems((all) => [
      ...all.slice(-4),
      { id: nextId++, variant, message, title: title ?? TITLES[variant] },
    ]);
  }, []);
  const notifyError = useCallback(
    (error: unknown, title?: string) => notify('danger', errorMessage(error), title),
    [notify],
  );
  const api = useMemo(() => ({ notify, notifyError }), [notify, notifyError]);
  return (
    <ToastContext.Provider value={api}>
      {children}
      <ToastContainer position="bottom-end" className="p-3 position-fixed" style={{ zIndex: 2000 }}>
        {items.map((t) => (
          <Toast
            key={t.id}
            onClose={() => dismiss(t.id)}
            autohide={t.variant !== 'danger'}
            delay={5000}
            className={`orsa-toast orsa-toast-${t.variant}`}
          >
            <Toast.Header closeLabel="Dismiss">
              <strong className="me-auto">{t.title}</strong>
            </Toast.Header>
            <Toast.Body role={t.variant === 'danger' ? 'alert' : 'status'}>{t.message}</Toast.Body>
          </Toast>
        ))}
      </ToastContainer>
    </ToastContext.Provider>
  );
}

/** notify / notifyError of the nearest ToastProvider. */
export function useToast(): ToastApi {
  const api = useContext(ToastContext);
  if (!api) throw new Error('useToast outside ToastProvider');
  return api;
}
