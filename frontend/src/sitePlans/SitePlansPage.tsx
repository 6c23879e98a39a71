/** The site's floor plans and maps; admins upload new ones here. */

import { useEffect, useState } from "preact/hooks";
import { sitePlans } from "../api/endpoints";
import type { SitePlan } from "../api/types";
import { PERMISSION } from "../app/permissions";
import { navigate } from "../app/router";
import { useCan } from "../app/session";
import { Empty, ErrorNote, Loading } from "../components/Notice";
import { SitePlanForm } from "./SitePlanForm";

export function SitePlansPage() {
  const canAdd = useCan(PERMISSION.addSitePlan);
  const [plans, setPlans] = useState<SitePlan[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [adding, setAdding] = useState(false);

  useEffect(() => {
    sitePlans.list().then(setPlans, setError);
  }, []);

  return (
    <section class="site-plans-page">
      <div class="page-title">
        <h1>Site plans</h1>
        {plans && <span class="muted">{plans.length} {plans.length === 1 ? "plan" : "plans"}</span>}
        <span class="spacer" />
        {canAdd && !adding && <button type="button" class="primary" onClick={() => setAdding(true)}>Upload a plan</button>}
      </div>
      {adding && (
        <SitePlanForm onSaved={(plan) => navigate(`/site-plans/${plan.id}`)} onCancel={() => setAdding(false)} />
      )}
      <ErrorNote error={error} title="The site plans could not be loaded." />
      {!plans && !error && <Loading what="site plans" />}
      {plans && plans.length === 0 && !adding && (
        <Empty>
          <h2>No site plans yet</h2>
          {canAdd
            ? <p>Upload a floor plan or a map of the site, then place the cameras and radars on it.</p>
            : <p>An administrator uploads the site's plans and places the cameras and radars on them.</p>}
        </Empty>
      )}
      {plans && plans.length > 0 && (
        <ul class="site-plan-list">
          {plans.map((plan) => (
            <li key={plan.id} data-plan-id={plan.id}>
              <a href={`/site-plans/${plan.id}`} class="site-plan-card">
                <img src={sitePlans.pictureUrl(plan)} alt="" loading="lazy" />
                <span class="camera-name">{plan.name}</span>
                <span class="muted small">{plan.width_m} m wide</span>
              </a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
