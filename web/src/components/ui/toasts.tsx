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
  /** What the toast is about ("build:bld_1"): a newer toast with the same key replaces it. */
  key?: string;
}

export interface ToastOptions {
  title?: string;
  key?: string;
}

interface ToastApi {
  notify: (variant: ToastVariant, message: string, options?: string | ToastOptions) => void;
  notifyError: (error: unknown, title?: string) => void;
  /** Replaces the toast with this key, if one is still shown (its subject changed state). */
  update: (key: string, variant: ToastVariant, message: string, title?: string) => void;
  /** Removes the toast with this key, if one is shown. */
  dismiss: (key: string) => void;
}

const ToastContext = createContext<ToastApi | null>(null);

const TITLES: Record<ToastVariant, string> = {
  success: 'Done',
  danger: 'Error',
  info: 'Note',
  warning: 'Warning',
};

let nextId = 1;

function toastItem(variant: ToastVariant, message: string, options: ToastOptions): ToastItem {
  // A fresh id restarts the autohide timer of a replaced toast.
  return {
    id: nextId++,
    variant,
    message,
    title: options.title ?? TITLES[variant],
    key: options.key,
  };
}

/**
 * Holds the toasts of the app; errors stay until dismissed, others fade.
 * A toast about something with a state (a build, a deployment) carries a
 * key, so news about that thing replaces it instead of stacking behind it.
 */
export function ToastProvider({ children }: { children: ReactNode }) {
  const [items, setItems] = useState<ToastItem[]>([]);
  const remove = useCallback((id: number) => {
    setItems((all) => all.filter((t) => t.id !== id));
  }, []);
  const notify = useCallback(
    (variant: ToastVariant, message: string, options?: string | ToastOptions) => {
      const opts = typeof options === 'string' ? { title: options } : (options ?? {});
      setItems((all) => [
        ...all.filter((t) => opts.key === undefined || t.key !== opts.key).slice(-4),
        toastItem(variant, message, opts),
      ]);
    },
    [],
  );
  const notifyError = useCallback(
    (error: unknown, title?: string) => notify('danger', errorMessage(error), title),
    [notify],
  );
  const update = useCallback(
    (key: string, variant: ToastVariant, message: string, title?: string) => {
      setItems((all) =>
        all.map((t) => (t.key === key ? toastItem(variant, message, { title, key }) : t)),
      );
    },
    [],
  );
  const dismiss = useCallback((key: string) => {
    setItems((all) => all.filter((t) => t.key !== key));
  }, []);
  const api = useMemo(
    () => ({ notify, notifyError, update, dismiss }),
    [notify, notifyError, update, dismiss],
  );
  return (
    <ToastContext.Provider value={api}>
      {children}
      <ToastContainer position="bottom-end" className="p-3 position-fixed" style={{ zIndex: 2000 }}>
        {items.map((t) => (
          <Toast
            key={t.id}
            onClose={() => remove(t.id)}
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
