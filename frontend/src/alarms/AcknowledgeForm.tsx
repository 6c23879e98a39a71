/** Acknowledge an alarm, with a comment for the record if there is something to say. */

import { useEffect, useRef, useState } from "preact/hooks";
import { alarms as alarmsApi } from "../api/endpoints";
import { ApiError } from "../api/http";
import { Field, FormErrors } from "../components/Field";

interface AcknowledgeFormProps {
  alarm: number;
  onDone: (alarm: number) => void;
  onCancel: () => void;
}

export function AcknowledgeForm({ alarm, onDone, onCancel }: AcknowledgeFormProps) {
  const [comment, setComment] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const field = useRef<HTMLTextAreaElement>(null);

  useEffect(() => field.current?.focus(), []);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    try {
      await alarmsApi.acknowledge(alarm, comment.trim());
      onDone(alarm);
    } catch (failure) {
      // Someone else acknowledged it first: it is no longer active either way.
      if (failure instanceof ApiError && failure.status === 409) {
        onDone(alarm);
        return;
      }
      setError(failure);
      setBusy(false);
    }
  }

  return (
    <form class="acknowledge-form" onSubmit={submit}>
      <Field label="Comment" name="comment" error={error}>
        <textarea ref={field} rows={2} value={comment} placeholder="Optional" onInput={(e) => setComment(e.currentTarget.value)} />
      </Field>
      <FormErrors error={error} />
      <div class="actions">
        <button type="button" onClick={onCancel}>Cancel</button>
        <button type="submit" class="primary" disabled={busy}>Acknowledge</button>
      </div>
    </form>
  );
}
