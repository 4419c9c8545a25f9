/** The export wizard, connected side: what → plan → where → run → done, each step in screens/export/, with "Start over" on every step. */
import { StepHeading } from '../components/StepHeading.tsx';
import { EXPORT_STEPS, useExport } from '../stores/export-store.ts';
import { DoneStep } from './export/DoneStep.tsx';
import { PlanStep } from './export/PlanStep.tsx';
import { RunStep } from './export/RunStep.tsx';
import { WhatStep } from './export/WhatStep.tsx';
import { WhereStep } from './export/WhereStep.tsx';

const TITLES = { what: 'What to carry', plan: 'The plan', where: 'Where to write it', run: 'Exporting', done: 'Done' } as const;
const STEP_NAMES = EXPORT_STEPS.map((s) => TITLES[s]);

/**
 * "Start over": back to an empty first step from anywhere but a running job
 * (cancel it first, so nothing runs unseen). Settings' defaults and
 * the access remembered per registry come back as on a fresh start.
 */
function StartOver() {
  const running = useExport((s) => s.step === 'run' && s.job === null);
  const reset = useExport((s) => s.reset);
  if (running) return null;
  return (
    <div className="actions">
      <button type="button" onClick={reset}>
        Start over
      </button>
    </div>
  );
}

/** The export wizard. */
export function ExportWizard() {
  const step = useExport((s) => s.step);
  const index = EXPORT_STEPS.indexOf(step);
  return (
    <section aria-label="Export wizard" className="wizard">
      <StepHeading steps={STEP_NAMES} current={index} title={TITLES[step]} />
      {step === 'what' && <WhatStep />}
      {step === 'plan' && <PlanStep />}
      {step === 'where' && <WhereStep />}
      {step === 'run' && <RunStep />}
      {step === 'done' && <DoneStep />}
      <StartOver />
    </section>
  );
}
