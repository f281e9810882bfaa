import { useCallback, useEffect, useId, useRef, useState, type ReactNode } from "react";
import { messageOf } from "./api";

/** The state of something loaded from the API. */
export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Loads once per change of `deps`, and again on `reload()`; a late reply of an older load is dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    load().then(
      (data) => current && setState({ data, error: undefined, loading: false }),
      (error: unknown) => current && setState({ data: undefined, error, loading: false }),
    );
    return () => {
      current = false;
    };
    // `load` is a new closure every render; `deps` says when it means something new.
  }, [...deps, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { ...state, reload };
}

/** Runs an action for a form: busy while it runs, and the API's message when it fails. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const run = useCallback(async <T,>(action: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(undefined);
    try {
      return await action();
    } catch (e) {
      setError(e);
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, clear: () => setError(undefined) };
}

/** What a page shows while it waits, when it failed, or when the list is empty. */
export function Status<T>({ state, empty, children }: { state: Loaded<T>; empty?: ReactNode; children: (data: T) => ReactNode }) {
  if (state.error !== undefined) return <ErrorBox error={state.error} onRetry={state.reload} />;
  if (state.data === undefined) return <Loading />;
  if (empty !== undefined && Array.isArray(state.data) && state.data.length === 0) return <div className="empty">{empty}</div>;
  return <>{children(state.data)}</>;
}

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

/** The API's message (and request id, for a report). */
export function ErrorBox({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (error === undefined) return null;
  const e = error as { code?: string; requestId?: string; status?: number };
  return (
    <div className="error" role="alert">
      <strong>{messageOf(error)}</strong>
      {e.code ? (
        <span className="error-meta">
          {e.code}
          {e.requestId ? ` · request ${e.requestId}` : ""}
        </span>
      ) : null}
      {onRetry ? (
        <button type="button" className="link" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

const FOCUSABLE = "a[href], button, input, select, textarea, [tabindex]:not([tabindex='-1'])";

/**
 * A modal dialog on the native <dialog>: the rest of the page is inert while it is open, so focus stays inside;
 * Escape closes it, and focus returns to what opened it.
 */
export function Dialog({ title, onClose, children, wide }: { title: string; onClose: () => void; children: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    const opener = document.activeElement as HTMLElement | null;
    if (dialog && !dialog.open) dialog.showModal();
    const first = dialog?.querySelector<HTMLElement>("[autofocus], input, select, textarea, button:not(.dialog-close)");
    first?.focus();
    return () => {
      if (dialog?.open) dialog.close();
      opener?.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      className={wide ? "dialog wide" : "dialog"}
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
      onKeyDown={(event) => {
        // The modal makes the page inert, but Tab would still leave for the browser's own controls: wrap around.
        if (event.key !== "Tab" || !ref.current) return;
        const focusable = [...ref.current.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => !el.hasAttribute("disabled"));
        const first = focusable[0];
        const last = focusable[focusable.length - 1];
        if (!first || !last) return;
        if (event.shiftKey && document.activeElement === first) {
          event.preventDefault();
          last.focus();
        } else if (!event.shiftKey && document.activeElement === last) {
          event.preventDefault();
          first.focus();
        }
      }}
    >
      <header className="dialog-head">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="dialog-close" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </header>
      {children}
    </dialog>
  );
}

/** A labelled form control: the label names the input for screen readers and clicks. */
/** A labelled input; `error` is what is wrong with its current value (shown in place of the hint, read out politely). */
export function Field({
  label,
  hint,
  error,
  children,
}: {
  label: string;
  hint?: ReactNode;
  error?: string | undefined;
  children: (id: string) => ReactNode;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
      <div aria-live="polite">{error ? <p className="field-error">{error}</p> : null}</div>
      {hint && !error ? <p className="hint">{hint}</p> : null}
    </div>
  );
}

/** Copies text to the clipboard and says so. */
export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [copied, setCopied] = useState<"no" | "yes" | "failed">("no");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied("yes");
    } catch {
      setCopied("failed");
    }
  };
  return (
    <>
      <button type="button" className="button" onClick={() => void copy()}>
        {copied === "yes" ? "Copied" : label}
      </button>
      <span className="sr-only" role="status" aria-live="polite">
        {copied === "yes" ? "Copied to the clipboard" : copied === "failed" ? "Copying failed: select the text and copy it" : ""}
      </span>
    </>
  );
}

const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 86_400_000],
  ["month", 30 * 86_400_000],
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
];

/** "3 hours ago", "in 29 days", "just now". */
export function ago(iso: string | null | undefined, never = "Never"): string {
  if (!iso) return never;
  const diff = Date.parse(iso) - Date.now();
  for (const [unit, ms] of UNITS) if (Math.abs(diff) >= ms) return relative.format(Math.round(diff / ms), unit);
  return "just now";
}

/** A time for people, with the exact ISO time on hover. */
export function Time({ at, never }: { at: string | null | undefined; never?: string }) {
  if (!at) return <span className="muted">{never ?? "Never"}</span>;
  return (
    <time dateTime={at} title={new Date(at).toLocaleString()}>
      {ago(at)}
    </time>
  );
}

/** A short coloured word: Active, Revoked, Expired, sensitive... */
export function Badge({ tone, children }: { tone: "ok" | "bad" | "warn" | "muted" | "info"; children: ReactNode }) {
  return <span className={`badge ${tone}`}>{children}</span>;
}

/** A page's title row, with its actions on the right. */
export function PageHead({ title, description, children }: { title: string; description?: ReactNode; children?: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · Latchkey`;
  }, [title]);
  return (
    <div className="page-head">
      <div>
        <h1>{title}</h1>
        {description ? <p className="muted">{description}</p> : null}
      </div>
      {children ? <div className="actions">{children}</div> : null}
    </div>
  );
}

/** The Latchkey mark: a key in a rounded square (inline SVG: no font or file to load). */
export function Logo({ size = 26 }: { size?: number }) {
  return (
    <svg className="logo" width={size} height={size} viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="7" fill="#2f4bd8" />
      <circle cx="12" cy="16" r="5.5" fill="none" stroke="#fff" strokeWidth="3" />
      <path d="M17.5 16H27M23.5 16v4.5" stroke="#fff" strokeWidth="3" strokeLinecap="round" />
    </svg>
  );
}

/**
 * Calls `refresh` every `everyMs` while the page is in view, and at once when the person comes back to it (another tab,
 * another window): lists that change on their own (last used) stay current without a reload, and a hidden tab asks
 * nothing.
 */
export function useRefresh(refresh: () => void, everyMs: number): void {
  useEffect(() => {
    const visible = () => document.visibilityState === "visible";
    const timer = window.setInterval(() => {
      if (visible()) refresh();
    }, everyMs);
    const onReturn = () => {
      if (visible()) refresh();
    };
    document.addEventListener("visibilitychange", onReturn);
    window.addEventListener("focus", onReturn);
    return () => {
      window.clearInterval(timer);
      document.removeEventListener("visibilitychange", onReturn);
      window.removeEventListener("focus", onReturn);
    };
  }, [refresh, everyMs]);
}
