/** A modal question with a clear consequence and two answers; used before anything that cannot be undone. */

import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

interface ConfirmDialogProps {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}

export function ConfirmDialog({ title, children, confirmLabel, busy, onConfirm, onCancel }: ConfirmDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  return (
    <dialog ref={dialog} class="dialog" onCancel={(event) => { event.preventDefault(); onCancel(); }}>
      <h2>{title}</h2>
      <div class="dialog-body">{children}</div>
      <div class="actions">
        <button type="button" onClick={onCancel}>Cancel</button>
        <button type="button" class="danger" disabled={busy} onClick={onConfirm}>{confirmLabel}</button>
      </div>
    </dialog>
  );
}
