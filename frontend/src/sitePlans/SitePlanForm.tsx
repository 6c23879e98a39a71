/** Upload a site plan (its name, how many metres its width spans, its picture), or rename or replace one. */

import { useEffect, useRef, useState } from "preact/hooks";
import { sitePlans } from "../api/endpoints";
import type { SitePlan, SitePlanInput } from "../api/types";
import { Field, focusFirstInvalid, FormErrors } from "../components/Field";
import { readAsDataUrl } from "../components/fileData";

interface SitePlanFormProps {
  /** The plan being changed; absent when uploading one. */
  plan?: SitePlan;
  onSaved: (plan: SitePlan) => void;
  onCancel: () => void;
}

export function SitePlanForm({ plan, onSaved, onCancel }: SitePlanFormProps) {
  const [name, setName] = useState(plan?.name ?? "");
  const [width, setWidth] = useState(plan ? String(plan.width_m) : "");
  const [image, setImage] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => focusFirstInvalid(form.current), [error]);

  async function pick(file: File | undefined) {
    setError(null);
    try {
      setImage(file ? await readAsDataUrl(file) : null);
    } catch (failure) {
      setError(failure);
    }
  }

  async function save(event: Event) {
    event.preventDefault();
    setSaving(true);
    setError(null);
    try {
      const input: Partial<SitePlanInput> = { name: name.trim(), width_m: Number(width) };
      if (image) input.image = image;
      onSaved(plan ? await sitePlans.update(plan.id, input) : await sitePlans.create(input as SitePlanInput));
    } catch (failure) {
      setError(failure);
      setSaving(false);
    }
  }

  return (
    <form ref={form} class="card site-plan-form" onSubmit={save} data-testid="site-plan-form">
      <h2>{plan ? `Change “${plan.name}”` : "Upload a site plan"}</h2>
      <div class="field-row">
        <Field label="Plan name" name="name" error={error} hint="E.g. Ground floor, Car park">
          <input name="plan-name" required maxLength={120} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <Field label="Width in metres" name="width_m" error={error} hint="How many metres the picture's width spans: its scale.">
          <input name="width_m" type="number" required min={1} max={100000} step="any" value={width}
            onInput={(e) => setWidth(e.currentTarget.value)} />
        </Field>
      </div>
      <Field label={plan ? "Replace the picture (optional)" : "Picture"} name="image" error={error} wide
        hint="A PNG or JPEG floor plan or map, at most 10 MB and 6000 pixels a side.">
        <input name="image" type="file" accept="image/png,image/jpeg" required={!plan}
          onChange={(e) => pick(e.currentTarget.files?.[0])} />
      </Field>
      <FormErrors error={error} />
      <div class="actions">
        <button type="button" onClick={onCancel}>Cancel</button>
        <button type="submit" class="primary" disabled={saving}>{saving ? "Saving…" : plan ? "Save changes" : "Upload plan"}</button>
      </div>
    </form>
  );
}
