/** The last webhook deliveries of a rule: when, whether the receiver took it, and what went wrong if not. */

import { useCallback, useEffect, useState } from "preact/hooks";
import { webhookDeliveries } from "../api/endpoints";
import type { WebhookDelivery } from "../api/types";
import { ErrorNote } from "../components/Notice";
import { dateTime } from "../components/format";

const SHOWN = 10;

const STATUS_WORDS: Record<WebhookDelivery["status"], string> = {
  pending: "Waiting",
  delivered: "Delivered",
  failed: "Failed",
};

export function WebhookDeliveries({ rule }: { rule: number }) {
  const [list, setList] = useState<WebhookDelivery[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    try {
      setList(await webhookDeliveries.latest(rule, SHOWN));
      setError(null);
    } catch (failure) {
      setError(failure);
    }
  }, [rule]);

  useEffect(() => {
    load();
  }, [load]);

  return (
    <section class="card webhook-deliveries" data-testid="webhook-deliveries">
      <div class="section-title">
        <h3>Last webhook deliveries</h3>
        <span class="spacer" />
        <button type="button" onClick={load}>Refresh</button>
      </div>
      <ErrorNote error={error} title="The deliveries could not be loaded." />
      {list && list.length === 0 && <p class="muted">Nothing sent yet.</p>}
      {list && list.length > 0 && (
        <table class="table compact">
          <thead><tr><th>When</th><th>Status</th><th>Tries</th><th>Answer</th><th>Problem</th></tr></thead>
          <tbody>
            {list.map((delivery) => (
              <tr key={delivery.id} data-status={delivery.status}>
                <td class="nowrap">{dateTime(delivery.created_at)}</td>
                <td class={delivery.status === "failed" ? "danger-text" : ""}>{STATUS_WORDS[delivery.status]}</td>
                <td>{delivery.attempts}</td>
                <td>{delivery.response_code ?? "—"}</td>
                <td class="small">{delivery.error}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
