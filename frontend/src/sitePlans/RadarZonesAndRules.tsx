/** A radar's zones, drawn on the site plan it stands on (its positions are the plan's), and its rules. */

import { sitePlans } from "../api/endpoints";
import type { Camera, Rule, SitePlan, Zone } from "../api/types";
import { RulesSection } from "../analytics/RulesSection";
import { ZoneEditor, type ZoneBackground } from "../analytics/ZoneEditor";

interface RadarZonesAndRulesProps {
  plan: SitePlan;
  radar: Camera;
  zones: Zone[];
  rules: Rule[];
  /** The cameras its rules may record. */
  cameras: Camera[];
  onChanged: () => void;
}

export function RadarZonesAndRules({ plan, radar, zones, rules, cameras, onChanged }: RadarZonesAndRulesProps) {
  const background: ZoneBackground = {
    picture: sitePlans.pictureUrl(plan),
    size: { width: plan.image_width, height: plan.image_height },
    alt: `Site plan ${plan.name}`,
    note: `The areas ${radar.name} watches, on the plan: objects it reports inside them fire its rules.`,
  };
  return (
    <section class="radar-analytics" data-testid="radar-analytics" data-radar-id={radar.id}>
      <h2>Zones and rules of {radar.name}</h2>
      <ZoneEditor camera={radar} background={background} kinds={["area"]} zones={zones} rules={rules} onChanged={onChanged} />
      <RulesSection camera={radar.id} zones={zones} rules={rules} noVideo={{ kind: "radar", cameras }} devices={cameras}
        onChanged={onChanged} />
    </section>
  );
}
