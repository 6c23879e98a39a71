/** What a camera's event must hold for a rule to act on it: names and values of its source or data. None means any. */

import { nestedFieldErrors } from "../components/Field";
import { MAX_EVENT_ITEMS, type EventItem } from "./ruleDraft";

interface EventItemsEditorProps {
  items: EventItem[];
  onChange: (items: EventItem[]) => void;
  /** The last failed save, for what the API said about the items. */
  error: unknown;
}

export function EventItemsEditor({ items, onChange, error }: EventItemsEditorProps) {
  const change = (index: number, item: EventItem) => onChange(items.map((old, i) => (i === index ? item : old)));

  return (
    <fieldset class="event-items" data-testid="event-items">
      <legend>Only events whose source or data hold</legend>
      {items.length === 0 && (
        <p class="muted small">Any event of this kind and topic. Add an item to narrow it, e.g. InputToken = 1 for one input.</p>
      )}
      {items.map(([name, value], index) => (
        <div class="event-item" data-testid="event-item">
          <label class="field">
            <span class="field-label">Name</span>
            <input name="event-item-name" required value={name} placeholder="InputToken" spellcheck={false}
              onInput={(e) => change(index, [e.currentTarget.value, value])} />
          </label>
          <span class="equals">=</span>
          <label class="field">
            <span class="field-label">Value</span>
            <input name="event-item-value" value={value} placeholder="1" spellcheck={false}
              onInput={(e) => change(index, [name, e.currentTarget.value])} />
          </label>
          <button type="button" class="link danger-text" onClick={() => onChange(items.filter((_, i) => i !== index))}>
            Remove
          </button>
        </div>
      ))}
      {nestedFieldErrors(error, "event_items").map((message) => <div class="field-error" role="alert">{message}</div>)}
      <button type="button" disabled={items.length >= MAX_EVENT_ITEMS} onClick={() => onChange([...items, ["", ""]])}>
        Add item
      </button>
    </fieldset>
  );
}
