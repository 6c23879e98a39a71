/** A PTZ camera's tours: which one runs (asked every few seconds), start and stop; and for those allowed to manage
 * presets, an editor: name, the steps (a preset and how long the camera stays there, in order) and when the tour
 * runs by itself (time windows, and whether it does). */

import { useEffect, useState } from "preact/hooks";
import { ptz } from "../api/endpoints";
import { messageOf } from "../api/http";
import type { PtzPreset, PtzTour, PtzTourStep, ScheduleWindow } from "../api/types";
import { ScheduleEditor } from "../analytics/ScheduleEditor";
import { PERMISSION } from "../app/permissions";
import { useCan } from "../app/session";

const POLL_MS = 4000;

interface Draft {
  id: number | null;
  name: string;
  steps: PtzTourStep[];
  schedule: ScheduleWindow[];
  enabled: boolean;
}

const ON_DEMAND = "Runs only when started. Add a time window to run it by itself on some days and hours.";

export function PtzTours({ camera }: { camera: number }) {
  const canManage = useCan(PERMISSION.managePtzPresets);
  const [tours, setTours] = useState<PtzTour[] | null>(null);
  const [failure, setFailure] = useState("");
  const [saveError, setSaveError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [presets, setPresets] = useState<PtzPreset[]>([]);

  function load() {
    return ptz.tours(camera).then((listed) => setTours(listed), (error) => setFailure(messageOf(error)));
  }

  useEffect(() => {
    let alive = true;
    let timer = 0;
    const ask = () => {
      load().finally(() => { if (alive) timer = window.setTimeout(ask, POLL_MS); });
    };
    ask();
    return () => { alive = false; window.clearTimeout(timer); };
  }, [camera]);

  async function act(command: () => Promise<unknown>): Promise<boolean> {
    setBusy(true);
    try {
      await command();
      setFailure("");
      await load();
      return true;
    } catch (error) {
      setFailure(messageOf(error));
      return false;
    } finally {
      setBusy(false);
    }
  }

  function edit(tour: PtzTour | null) {
    ptz.presets(camera).then(setPresets, (error) => setFailure(messageOf(error)));
    setSaveError(null);
    setDraft(tour ? {
      id: tour.id, name: tour.name, steps: tour.steps.map((step) => ({ ...step })), schedule: tour.schedule ?? [],
      enabled: tour.enabled ?? true,
    } : { id: null, name: "", steps: [], schedule: [], enabled: true });
  }

  function setStep(index: number, change: Partial<PtzTourStep>) {
    if (!draft) return;
    setDraft({ ...draft, steps: draft.steps.map((step, i) => (i === index ? { ...step, ...change } : step)) });
  }

  function moveStep(index: number, by: number) {
    if (!draft) return;
    const steps = [...draft.steps];
    const [step] = steps.splice(index, 1);
    steps.splice(index + by, 0, step);
    setDraft({ ...draft, steps });
  }

  async function save(event: Event) {
    event.preventDefault();
    if (!draft) return;
    const body = { name: draft.name.trim(), steps: draft.steps, schedule: draft.schedule, enabled: draft.enabled };
    setSaveError(null);
    const saved = await act(() => (draft.id === null ? ptz.createTour(camera, body)
      : ptz.updateTour(camera, draft.id, body)).catch((error: unknown) => {
      setSaveError(error);
      throw error;
    }));
    if (saved) setDraft(null);
  }

  const running = tours?.find((tour) => tour.running);
  return (
    <div class="ptz-tours" data-testid="ptz-tours">
      <h3>Tours</h3>
      {failure && <p class="status-error" role="alert">{failure}</p>}
      {tours?.length === 0 && <p class="muted">No tours yet.</p>}
      {running && <p class="muted" data-testid="ptz-tour-running">Running: {running.name}</p>}
      {tours && tours.length > 0 && (
        <ul class="ptz-tour-list">
          {tours.map((tour) => (
            <li key={tour.id} data-tour={tour.id}>
              <span class="ptz-tour-name">{tour.name}</span>
              {tour.running ? (
                <button type="button" disabled={busy} onClick={() => act(() => ptz.stopTour(camera, tour.id))}>
                  Stop</button>
              ) : (
                <button type="button" disabled={busy} title="It yields to anyone who steers, and carries on after"
                  onClick={() => act(() => ptz.startTour(camera, tour.id))}>Start</button>
              )}
              {canManage && (
                <>
                  <button type="button" class="link" disabled={busy} onClick={() => edit(tour)}>Edit</button>
                  <button type="button" class="link" disabled={busy}
                    onClick={() => act(() => ptz.deleteTour(camera, tour.id))}>Delete</button>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      {canManage && !draft && <button type="button" onClick={() => edit(null)}>New tour</button>}
      {draft && (
        <form class="ptz-tour-editor" onSubmit={save} aria-label="Tour">
          <input aria-label="Name of the tour" placeholder="Name, e.g. Perimeter" required maxLength={120}
            value={draft.name} onInput={(event) => setDraft({ ...draft, name: event.currentTarget.value })} />
          <ol>
            {draft.steps.map((step, index) => (
              <li key={index}>
                <select aria-label={`Preset of step ${index + 1}`} value={step.preset}
                  onChange={(event) => setStep(index, { preset: event.currentTarget.value })}>
                  {!presets.some((preset) => preset.token === step.preset) && <option value={step.preset}>{step.preset}</option>}
                  {presets.map((preset) => <option key={preset.token} value={preset.token}>{preset.name}</option>)}
                </select>
                <input type="number" min={1} max={3600} required aria-label={`Seconds at step ${index + 1}`}
                  value={step.dwell_seconds}
                  onInput={(event) => setStep(index, { dwell_seconds: Number(event.currentTarget.value) })} /> s
                <button type="button" class="link" disabled={index === 0} onClick={() => moveStep(index, -1)}
                  aria-label={`Move step ${index + 1} up`}>↑</button>
                <button type="button" class="link" disabled={index === draft.steps.length - 1}
                  onClick={() => moveStep(index, 1)} aria-label={`Move step ${index + 1} down`}>↓</button>
                <button type="button" class="link" aria-label={`Remove step ${index + 1}`}
                  onClick={() => setDraft({ ...draft, steps: draft.steps.filter((_, i) => i !== index) })}>Remove</button>
              </li>
            ))}
          </ol>
          <button type="button" disabled={presets.length === 0}
            onClick={() => setDraft({ ...draft, steps: [...draft.steps, { preset: presets[0].token, dwell_seconds: 10 }] })}>
            Add step</button>
          <ScheduleEditor schedule={draft.schedule} onChange={(schedule) => setDraft({ ...draft, schedule })}
            error={saveError} withoutWindows={ON_DEMAND} />
          {draft.schedule.length > 0 && (
            <label class="checkbox">
              <input type="checkbox" checked={draft.enabled}
                onChange={(event) => setDraft({ ...draft, enabled: event.currentTarget.checked })} />
              Runs by itself in these time windows
            </label>
          )}
          <button type="submit" disabled={busy || !draft.name.trim() || draft.steps.length < 2}
            title="At least two steps">Save tour</button>
          <button type="button" onClick={() => setDraft(null)}>Cancel</button>
        </form>
      )}
    </div>
  );
}
