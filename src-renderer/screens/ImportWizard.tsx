/**
 * The import wizard, disconnected side: bundle → verify → inspect → target →
 * review → push → mirror configuration. Each step is its own component
 * (screens/import/*); this shell adds what every step shares: the heading,
 * "Start over" and the confirmations before a push and before cancelling one.
 */
import { ConfirmDialog } from '../components/ConfirmDialog.tsx';
import { MirrorStep } from '../components/MirrorFiles.tsx';
import { StepHeading } from '../components/StepHeading.tsx';
import { formatBytes } from '../../src-shared/units.ts';
import { IMPORT_STEPS, useImport } from '../stores/import-store.ts';
import { BundleStep, VerifyStep } from './import/BundleStep.tsx';
import { InspectStep } from './import/InspectStep.tsx';
import { PushStep } from './import/PushStep.tsx';
import { TargetStep } from './import/TargetStep.tsx';
import { formatCount as count } from '../format.ts';
import { ReviewStep } from './ReviewStep.tsx';

const TITLES = { bundle: 'Find the bundle', verify: 'Verify', inspect: 'Inspect', target: 'Target registry', review: 'Review', push: 'Push', mirror: 'Mirror configuration' } as const;
const STEP_NAMES = IMPORT_STEPS.map((s) => TITLES[s]);

/** The two confirmations: what the push writes where, and what cancelling keeps. */
function Confirmations() {
  const s = useImport();
  const images = s.inspection?.images ?? [];
  const bytes = images.reduce((sum, image) => sum + image.size, 0);
  return (
    <>
      <ConfirmDialog open={s.confirming === 'push'} title={`Push to ${s.target.trim()}?`} yes="Push" no="Not now" onAnswer={(yes) => void s.answerConfirm(yes)}>
        <p>
          {images.length > 0 ? `${count(images.length, 'image')} (${formatBytes(bytes)}) from the bundle` : 'The bundle'} will be written into <span className="mono">{s.target.trim()}</span>
          {s.site.trim() ? `, recorded for site ${s.site.trim()}` : ''}. Tags already there are moved to the bundle&apos;s images.
        </p>
      </ConfirmDialog>
      <ConfirmDialog open={s.confirming === 'cancel'} title="Cancel the push?" yes="Cancel the push" no="Keep pushing" onAnswer={(yes) => void s.answerConfirm(yes)}>
        <p>What is already in the registry stays there; pushing again later resumes from it.</p>
      </ConfirmDialog>
    </>
  );
}

/** The import wizard. */
export function ImportWizard() {
  const step = useImport((s) => s.step);
  const startOver = useImport((s) => s.startOver);
  const pushing = useImport((s) => s.step === 'push' && s.importJob === null);
  return (
    <section aria-label="Import wizard" className="wizard">
      <StepHeading steps={STEP_NAMES} current={IMPORT_STEPS.indexOf(step)} title={TITLES[step]} />
      {step === 'bundle' && <BundleStep />}
      {step === 'verify' && <VerifyStep />}
      {step === 'inspect' && <InspectStep />}
      {step === 'target' && <TargetStep />}
      {step === 'review' && <ReviewStep />}
      {step === 'push' && <PushStep />}
      {step === 'mirror' && <MirrorStep />}
      {step !== 'bundle' && (
        <div className="actions start-over">
          <button type="button" disabled={pushing} title={pushing ? 'Cancel the push first' : undefined} onClick={startOver}>
            Start over
          </button>
        </div>
      )}
      <Confirmations />
    </section>
  );
}
